// What the pieces of ddp4j's CUDA emulator share: the emulated runtime (runtime.cpp), the grid
// runner and kernel table (grid.cpp, kernels.cpp) and the cuBLAS subset (cublas.cpp, a library
// of its own that enqueues its GEMMs on the runtime's streams), cuBLASLt subset (cublaslt.cpp,
// likewise), NCCL subset (nccl.cpp, likewise) and driver subset (driver.cpp: stream waits).
#pragma once
#include <cuda_runtime_api.h>
#include <functional>
#include <string>

namespace ddp4j_emu {

// Work for a stream: runs on that stream's worker thread, in enqueue order.
using Op = std::function<void()>;

// Enqueues op on stream (appends it to the graph the stream is capturing, or runs it at once for
// the legacy default stream); cudaSuccess or the error the call should return.
__attribute__((visibility("default"))) cudaError_t enqueue(cudaStream_t stream, Op op);

// Reports a failure inside enqueued work (a kernel or a library routine): later synchronising
// calls return `error`, as a GPU's sticky errors make them, and the reason goes to stderr.
__attribute__((visibility("default"))) void fail(cudaError_t error, const std::string& why);

// Whether [ptr, ptr + bytes) lies inside one live device allocation.
__attribute__((visibility("default"))) bool is_device_range(const void* ptr, size_t bytes);

// Whether [ptr, ptr + bytes) lies inside one live device or pinned host allocation: memory that
// device work may address (pinned memory through unified addressing), as the driver's stream
// memory operations need.
__attribute__((visibility("default"))) bool is_device_addressable(const void* ptr, size_t bytes);

// The emulated device whose memory holds ptr, or -1 when ptr is not in a device allocation.
__attribute__((visibility("default"))) int device_of(const void* ptr);

// A kernel of native/kernels: its name, whether it synchronises threads of a block, and how to
// bind a launch's argument array to a runnable grid (the arguments are copied at once, as the
// driver copies them when a launch is enqueued).
struct KernelEntry {
  const char* name;
  bool barriers;
  std::function<std::function<void()>(void** args)> bind_thread_body;
};

const KernelEntry* find_kernel(const char* name);
bool is_kernel(const void* handle);

// Runs body for every thread of the grid, one block after another, under the kernel lock. With
// barriers, each thread of a block runs as a fiber so __syncthreads can suspend it. Empty when
// the grid ran; else why it could not (threads of a block met different barriers).
std::string run_grid(dim3 grid, dim3 block, bool barriers, const std::function<void()>& body);

}  // namespace ddp4j_emu
