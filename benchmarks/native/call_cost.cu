// The C side of CudaCallCostBenchmark and KernelLaunchBenchmark: the same calls, the same batches
// of 256 then one synchronisation, timed with a steady clock. Build and run on a GPU machine:
//   nvcc -O2 -o /tmp/call_cost benchmarks/native/call_cost.cu && /tmp/call_cost
// Prints one JSON object: nanoseconds per call.
#include <chrono>
#include <cstdio>
#include <cuda_runtime.h>

#define CHECK(x) do { cudaError_t e = (x); if (e != cudaSuccess) { \
  std::fprintf(stderr, "%s failed: %s\n", #x, cudaGetErrorString(e)); return 1; } } while (0)

__global__ void noop() {}
__global__ void axpy(float* y, const float* x, float a, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x)
    y[i] = fmaf(a, x[i], y[i]);
}

static const int BATCH = 256;

template <typename F> static double nsPerCall(F body, cudaStream_t s, double seconds) {
  using clk = std::chrono::steady_clock;
  for (int w = 0; w < 200; w++) { for (int i = 0; i < BATCH; i++) body(i); cudaStreamSynchronize(s); }
  long long calls = 0;
  auto start = clk::now();
  while (std::chrono::duration<double>(clk::now() - start).count() < seconds) {
    for (int i = 0; i < BATCH; i++) body(i);
    cudaStreamSynchronize(s);
    calls += BATCH;
  }
  return std::chrono::duration<double, std::nano>(clk::now() - start).count() / calls;
}

int main() {
  CHECK(cudaSetDevice(0));
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  float *x, *y, *b;
  CHECK(cudaMalloc(&x, 4096)); CHECK(cudaMalloc(&y, 4096)); CHECK(cudaMalloc(&b, 4));
  int dev;
  double getDevice = nsPerCall([&](int) { cudaGetDevice(&dev); }, s, 2.0);
  double memset = nsPerCall([&](int i) { cudaMemsetAsync(b, i, 4, s); }, s, 2.0);
  double empty = nsPerCall([&](int) { noop<<<1, 1, 0, s>>>(); }, s, 2.0);
  double ax = nsPerCall([&](int) { axpy<<<4, 256, 0, s>>>(y, x, 0.5f, 1024); }, s, 2.0);
  CHECK(cudaGetLastError());
  std::printf("{\"getDevice_ns\": %.1f, \"memsetAsync_ns\": %.1f, \"emptyKernel_ns\": %.1f, \"axpy_ns\": %.1f}\n",
              getDevice, memset, empty, ax);
  return 0;
}
