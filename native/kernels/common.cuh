// Shared helpers for ddp4j kernels. Every kernel is extern "C" so the JVM finds it by its plain
// name (cudaLibraryGetKernel) and takes a 64-bit element count, so tensors past 2^31 elements work.
#pragma once
#include <cstdint>

#define DDP4J_KERNEL extern "C" __global__

// A grid-stride loop: correct for any grid size, so the launcher can cap the grid.
#define DDP4J_FOR_EACH(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (int64_t)blockDim.x * gridDim.x)
