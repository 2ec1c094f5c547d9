#!/usr/bin/env bash
# Every GPU check of the project in one run on the GPU machine (no JDK, no Maven there).
# Here:  ../shared/gpu/pack          (builds and gathers .gpu/)
# There: bash benchmarks/gpu-checks.sh [tests|bench|all]   (with .gpu in the device tool's carry list)
# Results land in $OUT (or ./gpu-results): test log, C call costs, torch numbers, JMH json.
set -uo pipefail
out=${OUT:-gpu-results}; mkdir -p "$out"
what=${1:-all}
bash .gpu/run env | tee "$out/env.txt"
if [[ $what == tests || $what == all ]]; then
  bash .gpu/run test > "$out/tests.txt" 2>&1; echo "tests exit $?" | tee -a "$out/tests.txt"
  grep -E "tests (successful|failed|aborted|skipped)|containers failed" "$out/tests.txt"
  grep -B2 -A12 "✘" "$out/tests.txt" | head -150
fi
if [[ $what == bench || $what == all ]]; then
  nvcc -O2 -o /tmp/call_cost benchmarks/native/call_cost.cu && /tmp/call_cost | tee "$out/call_cost_c.json"
  python3 benchmarks/python/torch_gemm.py | tee "$out/torch_gemm.json"
  bash .gpu/run jmh -rf json -rff "$out/jmh.json" -f 1 -wi 2 -i 3 ${JMH_FILTER:-'io.ddp4j.benchmarks.bindings.*'} > "$out/jmh.txt" 2>&1
  grep -A40 "^Benchmark " "$out/jmh.txt"
  python3 benchmarks/python/jmh_tflops.py "$out/jmh.json" | tee "$out/gemm_tflops.json"
fi
