"""Reads a JMH JSON result and prints TFLOP/s for GemmBenchmark rows (2 n^3 / time per op).
Usage: python3 benchmarks/python/jmh_tflops.py jmh.json"""
import json
import sys

UNIT_SECONDS = {"ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9, "s/op": 1.0}

for row in json.load(open(sys.argv[1])):
    if "GemmBenchmark" not in row["benchmark"]:
        continue
    n = int(row["params"]["size"])
    m = row["primaryMetric"]
    seconds = m["score"] * UNIT_SECONDS[m["scoreUnit"]]
    print(json.dumps({"impl": "ddp4j", "precision": row["params"]["precision"], "size": n,
                      "ms": round(seconds * 1e3, 3), "tflops": round(2 * n ** 3 / seconds / 1e12, 1)}))
