#!/usr/bin/env bash
# Every GPU check of the project on the GPU machine (no JDK, no Maven there), writing to $OUT.
# Here:  ../shared/gpu/pack                 (builds and gathers .gpu/)
#        bash benchmarks/pack-data.sh       (Fashion-MNIST into .gpu/data, only for the train stage)
# There: bash benchmarks/gpu-checks.sh [STAGE...]   with .gpu in the device tool's carry list
# Stages, in this order for "all" (the default); each fits one 10-minute device call by itself:
#   tests      the tests tagged gpu (CI runs the rest; under the packed runtime some CPU tests
#              that read sources or start mpirun do not apply)                       (~2-4 min)
#   bindings   C call costs (nvcc), torch GEMM, JMH bindings.* (call cost, launch, GEMM) (~3 min)
#   steps      JMH TrainingStepBenchmark + OpCostBenchmark, torch training_steps (eager, CUDA
#              graph, --ddp world 1) and op_cost                                         (~4 min)
#   parity     parity_torch.py prepare, ParityMain on cuda and cpu, compare both         (<1 min)
#   train      Fashion-MNIST (from .gpu/data): ddp4j train and fashion_mnist_torch.py, mlp, then
#              ddp4j train --mode dp --nproc 2 (replicas sharing the GPU) for one epoch (~4 min)
#   allreduce  benchmarks/allreduce-compare.sh (CPU, needs mpirun there; skipped if absent)
# "all" runs them all (~15-20 min): too long for one 10-minute call, so on the device tool run it
# as two calls, e.g. `gpu-checks.sh tests bindings` then `gpu-checks.sh steps parity train`.
# Every step is bounded by `timeout`, so a hang costs its limit, not the whole budget.
# Results in $OUT (or ./gpu-results): *.txt logs, *.json results, summary.txt (the key lines).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${OUT:-gpu-results}; mkdir -p "$out"
stages=("$@"); [[ ${#stages[@]} -eq 0 || ${stages[0]} == all ]] && stages=(tests bindings steps parity train allreduce)
# the stage names of the old script
for i in "${!stages[@]}"; do [[ ${stages[$i]} == bench ]] && stages[$i]=bindings; done
JMH_SHORT=(-f 1 -wi 2 -i 3 -w 1s -r 1s)
summary() { tee -a "$out/summary.txt"; }
has() { local s; for s in "${stages[@]}"; do [[ $s == "$1" ]] && return 0; done; return 1; }
bash .gpu/run env | tee "$out/env.txt"

if has tests; then
  echo "== tests" | summary
  timeout 540 bash .gpu/run test --include-tag gpu > "$out/tests.txt" 2>&1; echo "tests exit $?" | tee -a "$out/tests.txt" | summary
  grep -E "tests (successful|failed|aborted|skipped)|containers failed" "$out/tests.txt" | summary
  grep -B2 -A12 "✘" "$out/tests.txt" | head -150
fi

if has bindings; then
  echo "== bindings" | summary
  nvcc -O2 -o /tmp/call_cost benchmarks/native/call_cost.cu && timeout 120 /tmp/call_cost | tee "$out/call_cost_c.json"
  timeout 180 python3 benchmarks/python/torch_gemm.py | tee "$out/torch_gemm.json" | summary
  timeout 420 bash .gpu/run jmh -rf json -rff "$out/jmh.json" -f 1 -wi 2 -i 3 ${JMH_FILTER:-'io.ddp4j.benchmarks.bindings.*'} > "$out/jmh.txt" 2>&1
  grep -A40 "^Benchmark " "$out/jmh.txt" | summary
  python3 benchmarks/python/jmh_tflops.py "$out/jmh.json" | tee "$out/gemm_tflops.json" | summary
fi

if has steps; then
  echo "== training steps and op cost" | summary
  timeout 300 bash .gpu/run jmh -rf json -rff "$out/jmh_steps.json" "${JMH_SHORT[@]}" \
      'io.ddp4j.benchmarks.training.TrainingStepBenchmark' 'io.ddp4j.benchmarks.ops.OpCostBenchmark' > "$out/jmh_steps.txt" 2>&1
  echo "jmh steps exit $?" | summary
  grep -A30 "^Benchmark " "$out/jmh_steps.txt" | summary
  grep "needs a CUDA GPU\|Exception" "$out/jmh_steps.txt" | sort | uniq -c | head -10 | summary
  grep "^\[allocator\]" "$out/jmh_steps.txt" > "$out/allocator.txt"; tail -n 12 "$out/allocator.txt" | summary
  [[ -s $out/jmh_steps.json ]] && python3 benchmarks/python/jmh_tflops.py "$out/jmh_steps.json" | summary
  timeout 240 python3 benchmarks/python/training_steps_torch.py > "$out/torch_steps.json" 2> "$out/torch_steps.err"; summary < "$out/torch_steps.json"
  timeout 240 python3 benchmarks/python/training_steps_torch.py --ddp > "$out/torch_steps_ddp.json" 2> "$out/torch_steps_ddp.err"; summary < "$out/torch_steps_ddp.json"
  timeout 120 python3 benchmarks/python/op_cost_torch.py > "$out/torch_op_cost.json" 2> "$out/torch_op_cost.err"; summary < "$out/torch_op_cost.json"
  # issue 4: with 4 workers and pinned memory the compute stream never waits on a copy event (W1)
  for pin in "" --no-pin; do
    timeout 180 bash .gpu/run java io.ddp4j.benchmarks.data.FeedCheck --workers 4 $pin > "$out/feed${pin}.json" 2> "$out/feed${pin}.err"
    echo "feed check${pin} exit $?" | summary; summary < "$out/feed${pin}.json"
  done
fi

if has parity; then
  echo "== parity with PyTorch" | summary
  dir=/tmp/ddp4j-parity; rm -rf "$dir"
  timeout 120 python3 benchmarks/python/parity_torch.py prepare --dir "$dir" > "$out/parity.txt" 2>&1
  for dev in cuda cpu; do
    timeout 180 bash .gpu/run java io.ddp4j.benchmarks.parity.ParityMain --dir "$dir" --device "$dev" >> "$out/parity.txt" 2>&1
    timeout 60 python3 benchmarks/python/parity_torch.py compare --dir "$dir" --device "$dev" > "$out/parity_$dev.json" 2>> "$out/parity.txt"
    echo "parity $dev exit $?" | summary
    grep -E '"ok": false|"parity"|error' "$out/parity_$dev.json" | summary
  done
fi

if has train; then
  echo "== Fashion-MNIST training" | summary
  data=/tmp/fashion-mnist; mkdir -p "$data"
  if ! ls .gpu/data/* >/dev/null 2>&1; then
    echo "train: no .gpu/data here: run benchmarks/pack-data.sh before packing up" | summary
  else
    for f in .gpu/data/*; do
      n=$(basename "$f")
      case $n in
        *.xz) [[ -f $data/${n%.xz} ]] || { xz -dc "$f" > "$data/${n%.xz}" 2>/dev/null || python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$f" "$data/${n%.xz}"; };;
        *) cp -p "$f" "$data/";;
      esac
    done
    ls -la "$data" > "$out/train_data.txt"
    for model in ${TRAIN_MODELS:-mlp}; do
      epochs=${TRAIN_EPOCHS:-3}
      timeout 300 bash .gpu/run java io.ddp4j.examples.Ddp4jCli train --model "$model" --epochs "$epochs" --device cuda \
          --data "$data" --out "/tmp/train-$model" --json > "$out/train_ddp4j_$model.txt" 2>&1
      echo "ddp4j train $model exit $?" | summary
      tail -n 1 "$out/train_ddp4j_$model.txt" | summary
      cp "/tmp/train-$model/metrics.json" "$out/train_ddp4j_${model}_metrics.json" 2>/dev/null
      cp "/tmp/train-$model/loss_accuracy.png" "$out/train_ddp4j_${model}.png" 2>/dev/null
      timeout 300 python3 benchmarks/python/fashion_mnist_torch.py --model "$model" --epochs "$epochs" --device cuda \
          --data "$data" > "$out/train_torch_$model.txt" 2>&1
      echo "torch train $model exit $?" | summary
      tail -n 1 "$out/train_torch_$model.txt" | summary
    done
    # DataParallel with two replicas sharing the one GPU (reduced by the local group's device kernels)
    timeout 240 bash .gpu/run java io.ddp4j.examples.Ddp4jCli train --model mlp --epochs 1 --device cuda --mode dp --nproc 2 \
        --data "$data" --out /tmp/train-dp2 --json > "$out/train_ddp4j_dp2.txt" 2>&1
    echo "ddp4j train mlp --mode dp --nproc 2 on one GPU exit $?" | summary
    tail -n 1 "$out/train_ddp4j_dp2.txt" | summary
  fi
fi

if has allreduce; then
  echo "== tcp all-reduce vs Open MPI (CPU)" | summary
  if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
    OUT="$out/allreduce" timeout 420 bash benchmarks/allreduce-compare.sh "${ALLREDUCE_MAX:-268435456}" > "$out/allreduce.txt" 2>&1
    echo "allreduce exit $?" | summary
    cat "$out/allreduce/table.txt" 2>/dev/null | summary
  else
    echo "allreduce: no mpirun/mpicc on this machine; run benchmarks/allreduce-compare.sh where Open MPI is installed" | summary
  fi
fi
