// The CUDA device-side vocabulary on the host, so native/kernels/*.cu compile with g++ into the
// emulator (emulated_kernels.cpp). Kernels run one block at a time under the emulator's kernel
// lock, so the launch coordinates are plain globals that the grid runner sets before each
// thread, __shared__ arrays are function statics (one copy, which is what a block sees), and
// atomics need no hardware: only one emulated thread runs at a time.
#pragma once
#include <cstdint>
#include <cstring>
#include <cmath>
#include <vector_types.h>

// vector_types.h defined these for a host compiler already (as attributes g++ ignores)
#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __shared__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

// Suspends this emulated thread until every thread of its block has reached the same barrier.
void __syncthreads();

inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare, unsigned long long val) {
  unsigned long long old = *address;
  if (old == compare) *address = val;
  return old;
}
inline float atomicAdd(float* address, float val) { float old = *address; *address = old + val; return old; }
inline double atomicAdd(double* address, double val) { double old = *address; *address = old + val; return old; }
inline int atomicAdd(int* address, int val) { int old = *address; *address = old + val; return old; }
inline unsigned long long atomicAdd(unsigned long long* address, unsigned long long val) {
  unsigned long long old = *address; *address = old + val; return old;
}

// The _rn intrinsics are single IEEE operations; the emulator is compiled with -ffp-contract=off
// so the compiler never fuses them either.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((unsigned long long)a * b) >> 32); }
inline double __longlong_as_double(long long v) { double d; std::memcpy(&d, &v, 8); return d; }
inline long long __double_as_longlong(double v) { long long l; std::memcpy(&l, &v, 8); return l; }

// CUDA's math functions live in the global namespace.
using std::isinf;
using std::isnan;
using std::isfinite;
using std::signbit;

// CUDA's global min/max overloads for integers and floats.
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline long min(long a, long b) { return a < b ? a : b; }
inline long max(long a, long b) { return a > b ? a : b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline double min(double a, double b) { return std::fmin(a, b); }
inline double max(double a, double b) { return std::fmax(a, b); }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
