"""Reads a JMH JSON result and prints TFLOP/s for the rows that have a FLOP count:
GemmBenchmark (2 n^3 per op) and TrainingStepBenchmark W2/W2_FP32 (6 * batch * 4 * 4096^2 per
step, see io.ddp4j.benchmarks.training.Workloads). Other rows are skipped.
Usage: python3 benchmarks/python/jmh_tflops.py jmh.json [more.json ...]"""
import json
import sys

UNIT_SECONDS = {"ms/op": 1e-3, "us/op": 1e-6, "ns/op": 1e-9, "s/op": 1.0}

for path in sys.argv[1:]:
    for row in json.load(open(path)):
        m = row["primaryMetric"]
        seconds = m["score"] * UNIT_SECONDS[m["scoreUnit"]]
        params = row.get("params", {})
        if "GemmBenchmark" in row["benchmark"]:
            n = int(params["size"])
            print(json.dumps({"impl": "ddp4j", "precision": params["precision"], "size": n,
                              "ms": round(seconds * 1e3, 3), "tflops": round(2 * n ** 3 / seconds / 1e12, 1)}))
        elif "TrainingStepBenchmark" in row["benchmark"] and params.get("workload", "").startswith("W2"):
            flops = 6.0 * 8192 * 4 * 4096 * 4096
            print(json.dumps({"impl": "ddp4j", "workload": params["workload"], "ms_step": round(seconds * 1e3, 3),
                              "tflops": round(flops / seconds / 1e12, 1)}))
