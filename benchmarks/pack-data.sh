#!/usr/bin/env bash
# Carries Fashion-MNIST to the GPU machine (which has no dataset-fashion-mnist package) inside .gpu/data.
# Run at the project root after ../shared/gpu/pack:   bash benchmarks/pack-data.sh [source dir]
# What travels (the working tree + .gpu) is limited to 64 MiB. The four .gz files (~30 MiB) are
# copied as they are when they fit; otherwise each IDX file is re-encoded as .xz (xz -9e, ~25 MiB,
# made once and kept while newer than its source). benchmarks/gpu-checks.sh unpacks either form
# into /tmp/fashion-mnist on the GPU machine, where the loaders read the plain IDX files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=${1:-/usr/share/datasets/fashion-mnist}
limit=$((64 << 20))
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
for n in "${names[@]}"; do
  [[ -f $src/$n.gz ]] || { echo "pack-data: $src/$n.gz not found (apt-get install dataset-fashion-mnist)" >&2; exit 2; }
done
[[ -d .gpu ]] || { echo "pack-data: no .gpu/ here: run ../shared/gpu/pack first" >&2; exit 2; }
mkdir -p .gpu/data

tree_bytes() { git ls-files -co --exclude-standard -z | xargs -0 -r du -cb 2>/dev/null | awk 'END {print $1}'; }
gpu_bytes_without_data() { du -sb --exclude=data .gpu | cut -f1; }
gz_bytes=0
for n in "${names[@]}"; do gz_bytes=$((gz_bytes + $(stat -c %s "$src/$n.gz"))); done
base=$(( $(tree_bytes) + $(gpu_bytes_without_data) ))

if (( base + gz_bytes <= limit )); then
  rm -f .gpu/data/*.xz
  for n in "${names[@]}"; do cp -p "$src/$n.gz" .gpu/data/; done
  form=gz
else
  rm -f .gpu/data/*.gz
  for n in "${names[@]}"; do
    if [[ ! -f .gpu/data/$n.xz || $src/$n.gz -nt .gpu/data/$n.xz ]]; then
      echo "pack-data: re-encoding $n as xz -9e (the .gz files do not fit; this takes a minute)" >&2
      gunzip -c "$src/$n.gz" | xz -9e -T0 -c > ".gpu/data/$n.xz.tmp" && mv ".gpu/data/$n.xz.tmp" ".gpu/data/$n.xz"
    fi
  done
  form=xz
fi
data_bytes=$(du -sb .gpu/data | cut -f1)
total=$((base + data_bytes))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "pack-data: Fashion-MNIST as .$form: $(mib "$data_bytes") in .gpu/data; with the working tree and the rest of .gpu: $(mib "$total") of 64 MiB"
if (( total > limit )); then
  echo "pack-data: too large to travel: $(mib "$total") > 64 MiB (the .gz alone would be $(mib "$gz_bytes"))" >&2
  exit 1
fi
