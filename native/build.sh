#!/usr/bin/env bash
# Called by the bindings module's Maven build: compiles native/kernels into ddp4j.fatbin with
# CMake and nvcc when nvcc is present. Without nvcc the build goes on without kernels; they
# then fail at first use with a message saying so (io.ddp4j.bindings.kernel.KernelModule).
# With EMULATOR_DIR it also builds the CUDA emulator there (native/emulator: the CUDA runtime and
# cuBLAS subsets ddp4j binds, run on the host, for GPU tests on machines without a GPU).
# Usage: build.sh BUILD_DIR OUTPUT_DIR [EMULATOR_DIR]
set -euo pipefail
build_dir=$1 out_dir=$2 emulator_dir=${3:-}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nvcc=${CUDACXX:-$(command -v nvcc || true)}
[[ -z $nvcc && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
if [[ -z $nvcc || ! -x $nvcc ]]; then
  echo "[ddp4j] nvcc not found (PATH, CUDACXX, /usr/local/cuda/bin): building without CUDA kernels"
  exit 0
fi
if [[ ${DDP4J_SKIP_NATIVE:-} == 1 ]]; then echo "[ddp4j] DDP4J_SKIP_NATIVE=1: CUDA kernels not built"; exit 0; fi
if ! command -v cmake >/dev/null; then
  echo "[ddp4j] nvcc found but cmake is missing (apt-get install cmake): building without CUDA kernels"
  exit 0
fi
export CUDACXX=$nvcc
cmake -S "$root" -B "$build_dir" -DDDP4J_FATBIN_DIR="$out_dir" -DNVCC="$nvcc" -DDDP4J_EMULATOR_DIR="$emulator_dir" >/dev/null
cmake --build "$build_dir"
