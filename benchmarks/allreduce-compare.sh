#!/usr/bin/env bash
# ddp4j's tcp all-reduce next to Open MPI's MPI_Allreduce: float32 SUM, 4 ranks on one host,
# 4 KiB .. max_bytes (x4), bus bandwidth as nccl-tests defines it (busbw = algbw * 2(n-1)/n).
#   ddp4j:   4 JVMs started by the Launcher (io.ddp4j.benchmarks.allreduce.TcpAllReduceBenchmark)
#   MPI tcp: mpirun --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo  (like with like)
#   MPI default: mpirun with no transport flags (shared memory), reported separately
# Usage (project root, after `mvn -B -DskipTests package`):
#   bash benchmarks/allreduce-compare.sh [max_bytes (default 268435456)] [ranks (default 4)]
# Results: $OUT (default ./allreduce-results): ddp4j_tcp.json, mpi_tcp.json, mpi_default.json, table.txt
# The issue's goal: ddp4j within 1.5x of MPI-over-tcp at every size, at least equal from 64 MiB up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
max=${1:-268435456}
np=${2:-4}
out=${OUT:-allreduce-results}
mkdir -p "$out"

# a JDK >= 22 (JAVA_HOME if new enough, else the newest under /usr/lib/jvm), or the packed runtime
java_ok() { "$1" -version 2>&1 | grep -qE 'version "(2[2-9]|[3-9][0-9])'; }
JAVA=""
if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]] && java_ok "$JAVA_HOME/bin/java"; then JAVA=$JAVA_HOME/bin/java; fi
if [[ -z $JAVA ]]; then
  for j in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    if [[ -x $j/bin/java ]] && java_ok "$j/bin/java"; then JAVA=$j/bin/java; break; fi
  done
fi
if [[ -n $JAVA && -f benchmarks/target/classpath.txt ]]; then
  ddp4j=("$JAVA" --enable-native-access=ALL-UNNAMED -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)")
elif [[ -x .gpu/run || -f .gpu/run ]]; then
  ddp4j=(bash .gpu/run java)          # the GPU machine: no JDK, the packed one
else
  echo "allreduce-compare: build first (mvn -B -DskipTests package) with a JDK >= 22, or pack .gpu/" >&2; exit 2
fi

mpi=()
if command -v mpicc >/dev/null && command -v mpirun >/dev/null; then
  bin=$(mktemp -d)/mpi_allreduce_bw
  mpicc -O2 -o "$bin" benchmarks/native/mpi_allreduce_bw.c
  mpi=(mpirun --oversubscribe -np "$np")
  [[ $(id -u) == 0 ]] && mpi+=(--allow-run-as-root)
else
  echo "allreduce-compare: no mpicc/mpirun here (apt-get install openmpi-bin libopenmpi-dev); ddp4j only" >&2
fi

if [[ ${#mpi[@]} -gt 0 ]]; then
  echo "== Open MPI over tcp (loopback)" >&2
  "${mpi[@]}" --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo "$bin" "$max" | tee "$out/mpi_tcp.json"
  echo "== Open MPI default transport (shared memory)" >&2
  "${mpi[@]}" "$bin" "$max" | tee "$out/mpi_default.json"
else
  : > "$out/mpi_tcp.json"; : > "$out/mpi_default.json"
fi
echo "== ddp4j tcp, $np JVMs" >&2
"${ddp4j[@]}" io.ddp4j.benchmarks.allreduce.TcpAllReduceBenchmark --nproc "$np" --max-bytes "$max" | tee "$out/ddp4j_tcp.json"

python3 - "$out" <<'PY' | tee "$out/table.txt"
import json, os, sys
out = sys.argv[1]
def load(name):
    rows = {}
    path = os.path.join(out, name)
    for line in open(path) if os.path.exists(path) else []:
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line); rows[r["bytes"]] = r["busbw_GBps"]
    return rows
d, t, s = load("ddp4j_tcp.json"), load("mpi_tcp.json"), load("mpi_default.json")
def size(b):
    return f"{b >> 20} MiB" if b >= 1 << 20 else f"{b >> 10} KiB"
def f(x):
    return f"{x:9.3f}" if x is not None else "        -"
print("busbw GB/s, float32 SUM, ranks on one host; ratio = ddp4j / MPI-tcp (goal: >= 0.67 everywhere, >= 1.0 from 64 MiB)")
print(f"{'size':>8} {'ddp4j tcp':>10} {'MPI tcp':>10} {'ratio':>7} {'goal':>5} {'MPI shm':>10}")
ok = True
for b in sorted(set(d) | set(t) | set(s)):
    r = d[b] / t[b] if b in d and b in t and t[b] > 0 else None
    goal = 1.0 if b >= 64 << 20 else 1 / 1.5
    mark = "-" if r is None else ("yes" if r >= goal else "NO")
    ok &= mark != "NO"
    print(f"{size(b):>8} {f(d.get(b)):>10} {f(t.get(b)):>10} {(f'{r:7.2f}' if r is not None else '      -')} {mark:>5} {f(s.get(b)):>10}")
print("goal met at every size" if ok else "goal NOT met at some size")
PY
