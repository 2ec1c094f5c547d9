// ddp4j's CUDA emulator: the part of the CUDA runtime API ddp4j binds (io.ddp4j.bindings.cuda.
// Cudart), implemented on the host and built as libcudart.so.13, so the Java CUDA backend, its
// kernels (compiled for the host: kernels.cpp) and everything above them run on a machine without
// a GPU. Tests point DDP4J_CUDA_PATH at its folder. Signatures come from the toolkit's own
// cuda_runtime_api.h, so the compiler checks them against the real API.
//
// It is deliberately strict where a GPU is lenient or silent, to find host-side bugs before a GPU
// does:
//  - streams are asynchronous: each has a worker thread that runs its work in order, so reading a
//    result before synchronising on the right stream or event reads stale memory here too;
//    cross-stream order exists only through events (cudaStreamWaitEvent), and the legacy default
//    stream waits for blocking streams only, as on a GPU;
//  - new device and pinned memory is filled with 0xFF bytes (NaN as a float), as uninitialised;
//  - copies are checked against their kind and against the bounds of the allocations they touch;
//  - a copy from pageable memory is staged at the call and a copy into pageable memory waits, as
//    the driver does, while copies from and to pinned memory stay asynchronous;
//  - work enqueued on a capturing stream goes into the graph and does not run, and synchronising
//    with a capturing stream is refused.
// What it cannot check: a kernel's own out-of-bounds access (it reads host memory), timing, and
// concurrency inside a kernel (threads of a block run one after another).
#include "emulator.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using ddp4j_emu::Op;

struct CUgraph_st {
  std::vector<Op> ops;
};
struct CUgraphExec_st {
  std::vector<Op> ops;
};
struct CUlib_st {
  int magic;
};

namespace {

constexpr int kRuntimeVersion = 13000;
constexpr size_t kDeviceMemory = 16ull << 30;  // what each emulated device reports as its total

int device_count() {
  static int count = [] {
    const char* v = std::getenv("DDP4J_EMULATED_DEVICES");
    int n = v == nullptr ? 1 : std::atoi(v);
    return n < 0 ? 0 : n > 16 ? 16 : n;
  }();
  return count;
}

thread_local int current_device = 0;
thread_local cudaError_t last_error = cudaSuccess;

cudaError_t status(cudaError_t e) {
  if (e != cudaSuccess) last_error = e;
  return e;
}

// ------------------------------------------------------------------ sticky failures

std::atomic<int> sticky{cudaSuccess};

cudaError_t sticky_error() { return static_cast<cudaError_t>(sticky.load()); }

// ------------------------------------------------------------------ memory

enum class Kind { Device, Pinned };

struct Allocation {
  size_t bytes;
  int device;
  Kind kind;
};

std::mutex& memory_lock() {
  static std::mutex* m = new std::mutex();
  return *m;
}
std::map<uintptr_t, Allocation>& allocations() {
  static auto* m = new std::map<uintptr_t, Allocation>();
  return *m;
}
std::vector<size_t>& in_use() {
  static auto* v = new std::vector<size_t>(16, 0);
  return *v;
}

// The allocation holding ptr (start and record), or none.
bool find_allocation(const void* ptr, uintptr_t* start, Allocation* out) {
  std::lock_guard<std::mutex> lock(memory_lock());
  auto& all = allocations();
  uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  auto it = all.upper_bound(p);
  if (it == all.begin()) return false;
  --it;
  if (p >= it->first + (it->second.bytes == 0 ? 1 : it->second.bytes)) return false;
  *start = it->first;
  *out = it->second;
  return true;
}

void* allocate(size_t bytes, int device, Kind kind, cudaError_t* error) {
  std::lock_guard<std::mutex> lock(memory_lock());
  if (kind == Kind::Device && in_use()[device] + bytes > kDeviceMemory) {
    *error = cudaErrorMemoryAllocation;
    return nullptr;
  }
  size_t rounded = (bytes + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded == 0 ? 256 : rounded);
  if (p == nullptr) {
    *error = cudaErrorMemoryAllocation;
    return nullptr;
  }
  std::memset(p, 0xFF, rounded == 0 ? 256 : rounded);  // uninitialised: NaN as float, -1 as int
  allocations()[reinterpret_cast<uintptr_t>(p)] = Allocation{bytes, device, kind};
  if (kind == Kind::Device) in_use()[device] += bytes;
  *error = cudaSuccess;
  return p;
}

cudaError_t release(void* p, Kind kind) {
  std::lock_guard<std::mutex> lock(memory_lock());
  auto& all = allocations();
  auto it = all.find(reinterpret_cast<uintptr_t>(p));
  if (it == all.end() || it->second.kind != kind) return cudaErrorInvalidValue;
  if (kind == Kind::Device) in_use()[it->second.device] -= it->second.bytes;
  std::memset(p, 0xFF, it->second.bytes);  // a use after free reads NaN, not the old values
  all.erase(it);
  std::free(p);
  return cudaSuccess;
}

// ------------------------------------------------------------------ streams, events, graphs

struct Marker {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::chrono::steady_clock::time_point at;

  void complete() {
    std::lock_guard<std::mutex> lock(m);
    done = true;
    at = std::chrono::steady_clock::now();
    cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return done; });
  }
  bool is_done() {
    std::lock_guard<std::mutex> lock(m);
    return done;
  }
};

}  // namespace

struct CUstream_st {
  int device;
  unsigned flags;
  int priority;
  std::mutex m;
  std::condition_variable cv;
  std::deque<Op> queue;
  bool running = false;
  bool stopping = false;
  std::thread worker;
  // while capturing: the graph that work enqueued here goes into, and how the capture began
  CUgraph_st* capture = nullptr;
  bool capture_origin = false;
  bool capture_invalidated = false;
  cudaStreamCaptureMode capture_mode = cudaStreamCaptureModeGlobal;

  void loop() {
    std::unique_lock<std::mutex> lock(m);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      Op op = std::move(queue.front());
      queue.pop_front();
      running = true;
      lock.unlock();
      op();
      lock.lock();
      running = false;
      cv.notify_all();
    }
  }

  void drain() {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return queue.empty() && !running; });
  }

  bool idle() {
    std::lock_guard<std::mutex> lock(m);
    return queue.empty() && !running;
  }
};

struct CUevent_st {
  unsigned flags;
  std::shared_ptr<Marker> last;  // the most recent record's marker; null: never recorded
  CUgraph_st* captured = nullptr;  // recorded in a capturing stream: the graph it belongs to
};

namespace {

std::mutex& streams_lock() {
  static std::mutex* m = new std::mutex();
  return *m;
}
std::vector<CUstream_st*>& streams() {
  static auto* v = new std::vector<CUstream_st*>();
  return *v;
}

bool is_legacy(cudaStream_t s) { return s == nullptr || s == cudaStreamLegacy || s == cudaStreamPerThread; }

bool known_stream(cudaStream_t s) {
  if (is_legacy(s)) return true;
  std::lock_guard<std::mutex> lock(streams_lock());
  for (CUstream_st* t : streams())
    if (t == s) return true;
  return false;
}

std::vector<CUstream_st*> snapshot_streams() {
  std::lock_guard<std::mutex> lock(streams_lock());
  return streams();
}

// What the legacy default stream (one per device: the calling thread's current one) does before
// its own work: wait for every blocking stream of that device. Other devices' streams are not
// waited for, as on a GPU: a rank's collective blocked on its peer must not block the peer's thread.
void wait_for_blocking_streams() {
  for (CUstream_st* s : snapshot_streams())
    if (s->device == current_device && (s->flags & cudaStreamNonBlocking) == 0 && s->capture == nullptr) s->drain();
}

bool any_capture_forbids_sync() {
  for (CUstream_st* s : snapshot_streams())
    if (s->capture != nullptr && s->capture_mode != cudaStreamCaptureModeRelaxed) return true;
  return false;
}

void invalidate_capture(CUgraph_st* g) {
  for (CUstream_st* s : snapshot_streams())
    if (s->capture == g) s->capture_invalidated = true;
}

}  // namespace

namespace ddp4j_emu {

cudaError_t enqueue(cudaStream_t stream, Op op) {
  if (!known_stream(stream)) return cudaErrorInvalidResourceHandle;
  if (is_legacy(stream)) {
    wait_for_blocking_streams();
    op();
    return cudaSuccess;
  }
  CUstream_st* s = stream;
  std::lock_guard<std::mutex> lock(s->m);
  if (s->capture != nullptr) {
    if (s->capture_invalidated) return cudaErrorStreamCaptureInvalidated;
    s->capture->ops.push_back(std::move(op));
    return cudaSuccess;
  }
  s->queue.push_back(std::move(op));
  s->cv.notify_all();
  return cudaSuccess;
}

void fail(cudaError_t error, const std::string& why) {
  int expected = cudaSuccess;
  sticky.compare_exchange_strong(expected, error);
  std::fprintf(stderr, "[ddp4j CUDA emulator] %s: %s\n", cudaGetErrorName(error), why.c_str());
  std::fflush(stderr);
}

bool is_device_range(const void* ptr, size_t bytes) {
  uintptr_t start;
  Allocation a;
  if (!find_allocation(ptr, &start, &a) || a.kind != Kind::Device) return false;
  return reinterpret_cast<uintptr_t>(ptr) + bytes <= start + a.bytes;
}

bool is_device_addressable(const void* ptr, size_t bytes) {
  uintptr_t start;
  Allocation a;
  return find_allocation(ptr, &start, &a) && reinterpret_cast<uintptr_t>(ptr) + bytes <= start + a.bytes;
}

int device_of(const void* ptr) {
  uintptr_t start;
  Allocation a;
  if (!find_allocation(ptr, &start, &a) || a.kind != Kind::Device) return -1;
  return a.device;
}

}  // namespace ddp4j_emu

namespace {

using ddp4j_emu::enqueue;
using ddp4j_emu::fail;

bool capturing(cudaStream_t s) { return !is_legacy(s) && s->capture != nullptr; }

// Waits for all work on one device's streams (cudaDeviceSynchronize and the implicit
// synchronisation of cudaFree).
cudaError_t synchronize_device(int device) {
  for (CUstream_st* s : snapshot_streams())
    if (s->device == device && s->capture == nullptr) s->drain();
  return sticky_error();
}

// ------------------------------------------------------------------ copies

enum class Side { Device, Pinned, Pageable };

struct Place {
  Side side;
  bool in_bounds;
  std::string describe;
};

Place classify(const void* p, size_t bytes) {
  uintptr_t start;
  Allocation a;
  if (!find_allocation(p, &start, &a)) return {Side::Pageable, true, "pageable host memory"};
  bool fits = reinterpret_cast<uintptr_t>(p) + bytes <= start + a.bytes;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s memory at offset %zu of an allocation of %zu bytes",
                a.kind == Kind::Device ? "device" : "pinned host", static_cast<size_t>(reinterpret_cast<uintptr_t>(p) - start), a.bytes);
  return {a.kind == Kind::Device ? Side::Device : Side::Pinned, fits, buf};
}

const char* kind_name(cudaMemcpyKind k) {
  switch (k) {
    case cudaMemcpyHostToHost: return "cudaMemcpyHostToHost";
    case cudaMemcpyHostToDevice: return "cudaMemcpyHostToDevice";
    case cudaMemcpyDeviceToHost: return "cudaMemcpyDeviceToHost";
    case cudaMemcpyDeviceToDevice: return "cudaMemcpyDeviceToDevice";
    case cudaMemcpyDefault: return "cudaMemcpyDefault";
  }
  return "an unknown cudaMemcpyKind";
}

// Checks a copy's kind against where its pointers are and that it stays inside their allocations.
cudaError_t check_copy(const char* api, void* dst, const void* src, size_t count, cudaMemcpyKind kind, Place* d, Place* s) {
  *d = classify(dst, count);
  *s = classify(src, count);
  if (count == 0) return cudaSuccess;
  if (dst == nullptr || src == nullptr) {
    fail(cudaErrorInvalidValue, std::string(api) + " with a null pointer");
    return cudaErrorInvalidValue;
  }
  bool dd = d->side == Side::Device, sd = s->side == Side::Device;
  bool ok = kind == cudaMemcpyDefault || (kind == cudaMemcpyHostToDevice && dd && !sd) || (kind == cudaMemcpyDeviceToHost && sd && !dd)
            || (kind == cudaMemcpyDeviceToDevice && dd && sd) || (kind == cudaMemcpyHostToHost && !dd && !sd);
  if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) ok = false;
  if (!ok) {
    std::fprintf(stderr, "[ddp4j CUDA emulator] %s(%zu bytes, %s): the destination is %s and the source %s\n", api, count,
                 kind_name(kind), d->describe.c_str(), s->describe.c_str());
    return cudaErrorInvalidMemcpyDirection;
  }
  if (!d->in_bounds || !s->in_bounds) {
    std::fprintf(stderr, "[ddp4j CUDA emulator] %s of %zu bytes runs past the end of its %s (%s)\n", api, count,
                 !d->in_bounds ? "destination" : "source", (!d->in_bounds ? d : s)->describe.c_str());
    return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}

cudaError_t copy_async(const char* api, void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  if (!known_stream(stream)) return cudaErrorInvalidResourceHandle;
  Place d, s;
  cudaError_t e = check_copy(api, dst, src, count, kind, &d, &s);
  if (e != cudaSuccess || count == 0) return e;
  bool pageable = d.side == Side::Pageable || s.side == Side::Pageable;
  if (capturing(stream) && pageable) {
    invalidate_capture(stream->capture);
    std::fprintf(stderr, "[ddp4j CUDA emulator] %s with pageable host memory in a capturing stream\n", api);
    return cudaErrorStreamCaptureUnsupported;
  }
  if (s.side == Side::Pageable && d.side != Side::Pageable) {
    // the driver stages pageable source memory before the call returns
    auto staged = std::make_shared<std::vector<char>>(static_cast<const char*>(src), static_cast<const char*>(src) + count);
    return enqueue(stream, [dst, staged] { std::memcpy(dst, staged->data(), staged->size()); });
  }
  if (d.side == Side::Pageable) {
    // into pageable memory (from anywhere) the call returns once the copy is done
    auto done = std::make_shared<Marker>();
    cudaError_t q = enqueue(stream, [dst, src, count, done] {
      std::memmove(dst, src, count);
      done->complete();
    });
    if (q == cudaSuccess) done->wait();
    return q;
  }
  return enqueue(stream, [dst, src, count] { std::memmove(dst, src, count); });
}

// The errors the emulator returns, with the runtime's names and messages.
struct ErrorText {
  cudaError_t code;
  const char* name;
  const char* text;
};
constexpr ErrorText kErrors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInvalidConfiguration, "cudaErrorInvalidConfiguration", "invalid configuration argument"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection", "invalid copy direction for memcpy"},
    {cudaErrorInvalidDeviceFunction, "cudaErrorInvalidDeviceFunction", "invalid device function"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidKernelImage, "cudaErrorInvalidKernelImage", "device kernel image is invalid"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorSymbolNotFound, "cudaErrorSymbolNotFound", "named symbol not found"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress", "an illegal memory access was encountered"},
    {cudaErrorLaunchFailure, "cudaErrorLaunchFailure", "unspecified launch failure"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorStreamCaptureUnsupported, "cudaErrorStreamCaptureUnsupported", "operation not permitted when stream is capturing"},
    {cudaErrorStreamCaptureInvalidated, "cudaErrorStreamCaptureInvalidated", "operation failed due to a previous error during capture"},
    {cudaErrorStreamCaptureUnmatched, "cudaErrorStreamCaptureUnmatched", "capture was not initiated in this stream"},
    {cudaErrorStreamCaptureImplicit, "cudaErrorStreamCaptureImplicit", "operation would make the legacy stream depend on a capturing blocking stream"},
    {cudaErrorIllegalState, "cudaErrorIllegalState", "the operation is not permitted in the current state"},
};

const ErrorText& error_text(cudaError_t e) {
  static constexpr ErrorText unknown{cudaErrorUnknown, "cudaErrorUnknown", "unknown error"};
  for (const ErrorText& t : kErrors)
    if (t.code == e) return t;
  return unknown;
}

bool valid_device(int d) { return d >= 0 && d < device_count(); }

}  // namespace

// ==================================================================== the API

extern "C" {

cudaError_t cudaGetDeviceCount(int* count) {
  if (count == nullptr) return status(cudaErrorInvalidValue);
  *count = device_count();
  return device_count() == 0 ? status(cudaErrorNoDevice) : cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (!valid_device(device)) return status(cudaErrorInvalidDevice);
  current_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  if (device == nullptr) return status(cudaErrorInvalidValue);
  *device = current_device;
  return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (prop == nullptr) return status(cudaErrorInvalidValue);
  if (!valid_device(device)) return status(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "ddp4j CUDA emulator (host CPU)");
  prop->totalGlobalMem = kDeviceMemory;
  prop->sharedMemPerBlock = 48 * 1024;
  prop->regsPerBlock = 65536;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->maxThreadsDim[0] = 1024;
  prop->maxThreadsDim[1] = 1024;
  prop->maxThreadsDim[2] = 64;
  prop->maxGridSize[0] = 0x7fffffff;
  prop->maxGridSize[1] = 65535;
  prop->maxGridSize[2] = 65535;
  prop->totalConstMem = 65536;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 4;
  prop->l2CacheSize = 4 << 20;
  prop->maxThreadsPerMultiProcessor = 2048;
  prop->unifiedAddressing = 1;
  prop->managedMemory = 1;
  prop->concurrentKernels = 1;
  prop->asyncEngineCount = 2;
  prop->pciBusID = device;
  prop->memoryPoolsSupported = 1;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (value == nullptr) return status(cudaErrorInvalidValue);
  if (!valid_device(device)) return status(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
    case cudaDevAttrWarpSize: *value = 32; break;
    case cudaDevAttrMultiProcessorCount: *value = 4; break;
    case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
    case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
    case cudaDevAttrMaxGridDimX: *value = 0x7fffffff; break;
    case cudaDevAttrMaxBlockDimX: *value = 1024; break;
    case cudaDevAttrUnifiedAddressing: *value = 1; break;
    case cudaDevAttrMemoryPoolsSupported: *value = 1; break;
    case cudaDevAttrConcurrentKernels: *value = 1; break;
    default: *value = 0; break;
  }
  return cudaSuccess;
}

cudaError_t cudaDeviceSynchronize(void) {
  if (any_capture_forbids_sync()) return status(cudaErrorStreamCaptureUnsupported);
  return status(synchronize_device(current_device));
}

cudaError_t cudaDeviceCanAccessPeer(int* can, int device, int peer) {
  if (can == nullptr) return status(cudaErrorInvalidValue);
  if (!valid_device(device) || !valid_device(peer)) return status(cudaErrorInvalidDevice);
  *can = device != peer ? 1 : 0;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetStreamPriorityRange(int* least, int* greatest) {
  if (least != nullptr) *least = 0;
  if (greatest != nullptr) *greatest = -5;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** ptr, size_t size) {
  if (ptr == nullptr) return status(cudaErrorInvalidValue);
  if (any_capture_forbids_sync()) return status(cudaErrorStreamCaptureUnsupported);
  cudaError_t e;
  *ptr = allocate(size, current_device, Kind::Device, &e);
  return status(e);
}

cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  if (any_capture_forbids_sync()) return status(cudaErrorStreamCaptureUnsupported);
  // cudaFree waits for the memory's device, so nothing still running there reads freed memory
  synchronize_device(ddp4j_emu::device_of(ptr) >= 0 ? ddp4j_emu::device_of(ptr) : current_device);
  return status(release(ptr, Kind::Device));
}

cudaError_t cudaMallocAsync(void** ptr, size_t size, cudaStream_t stream) {
  if (ptr == nullptr) return status(cudaErrorInvalidValue);
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (capturing(stream)) return status(cudaErrorNotSupported);  // memory nodes: not emulated
  cudaError_t e;
  *ptr = allocate(size, is_legacy(stream) ? current_device : stream->device, Kind::Device, &e);
  return status(e);
}

cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream) {
  if (ptr == nullptr) return cudaSuccess;
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (capturing(stream)) return status(cudaErrorNotSupported);
  if (!ddp4j_emu::is_device_range(ptr, 0)) return status(cudaErrorInvalidValue);
  return status(enqueue(stream, [ptr] {
    if (release(ptr, Kind::Device) != cudaSuccess) fail(cudaErrorInvalidValue, "cudaFreeAsync of memory freed twice");
  }));
}

cudaError_t cudaMallocHost(void** ptr, size_t size) {
  if (ptr == nullptr) return status(cudaErrorInvalidValue);
  cudaError_t e;
  *ptr = allocate(size, current_device, Kind::Pinned, &e);
  return status(e);
}

cudaError_t cudaHostAlloc(void** ptr, size_t size, unsigned int flags) {
  (void)flags;
  return cudaMallocHost(ptr, size);
}

cudaError_t cudaFreeHost(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  synchronize_device(current_device);
  return status(release(ptr, Kind::Pinned));
}

cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  if (free == nullptr || total == nullptr) return status(cudaErrorInvalidValue);
  std::lock_guard<std::mutex> lock(memory_lock());
  *total = kDeviceMemory;
  *free = kDeviceMemory - in_use()[current_device];
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  if (any_capture_forbids_sync()) return status(cudaErrorStreamCaptureUnsupported);
  Place d, s;
  cudaError_t e = check_copy("cudaMemcpy", dst, src, count, kind, &d, &s);
  if (e != cudaSuccess) return status(e);
  // the legacy stream: after the blocking streams' work, done when the call returns
  wait_for_blocking_streams();
  if (count > 0) std::memmove(dst, src, count);
  return status(sticky_error());
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  return status(copy_async("cudaMemcpyAsync", dst, src, count, kind, stream));
}

cudaError_t cudaMemset(void* ptr, int value, size_t count) {
  if (any_capture_forbids_sync()) return status(cudaErrorStreamCaptureUnsupported);
  if (count > 0 && !ddp4j_emu::is_device_range(ptr, count)) return status(cudaErrorInvalidValue);
  wait_for_blocking_streams();
  if (count > 0) std::memset(ptr, value, count);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t count, cudaStream_t stream) {
  if (count > 0 && !ddp4j_emu::is_device_range(ptr, count)) {
    std::fprintf(stderr, "[ddp4j CUDA emulator] cudaMemsetAsync of %zu bytes at %p: not inside one device allocation\n", count, ptr);
    return status(cudaErrorInvalidValue);
  }
  if (count == 0) return cudaSuccess;
  return status(enqueue(stream, [ptr, value, count] { std::memset(ptr, value, count); }));
}

cudaError_t cudaPointerGetAttributes(cudaPointerAttributes* attributes, const void* ptr) {
  if (attributes == nullptr) return status(cudaErrorInvalidValue);
  std::memset(attributes, 0, sizeof *attributes);
  uintptr_t start;
  Allocation a;
  if (!find_allocation(ptr, &start, &a)) {
    attributes->type = cudaMemoryTypeUnregistered;
    attributes->device = -2;
    return cudaSuccess;
  }
  attributes->type = a.kind == Kind::Device ? cudaMemoryTypeDevice : cudaMemoryTypeHost;
  attributes->device = a.device;
  attributes->devicePointer = const_cast<void*>(ptr);
  attributes->hostPointer = a.kind == Kind::Pinned ? const_cast<void*>(ptr) : nullptr;
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithPriority(cudaStream_t* stream, unsigned int flags, int priority) {
  if (stream == nullptr) return status(cudaErrorInvalidValue);
  auto* s = new CUstream_st();
  s->device = current_device;
  s->flags = flags;
  s->priority = priority;
  s->worker = std::thread([s] { s->loop(); });
  {
    std::lock_guard<std::mutex> lock(streams_lock());
    streams().push_back(s);
  }
  *stream = s;
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  if (is_legacy(stream) || !known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  {
    std::lock_guard<std::mutex> lock(streams_lock());
    auto& all = streams();
    for (size_t i = 0; i < all.size(); i++)
      if (all[i] == stream) {
        all.erase(all.begin() + static_cast<long>(i));
        break;
      }
  }
  // its work still runs to the end, as on a GPU; the call returns once it has
  {
    std::lock_guard<std::mutex> lock(stream->m);
    stream->stopping = true;
    stream->cv.notify_all();
  }
  stream->worker.join();
  delete stream;
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (capturing(stream)) {
    invalidate_capture(stream->capture);
    return status(cudaErrorStreamCaptureUnsupported);
  }
  if (is_legacy(stream)) wait_for_blocking_streams();
  else stream->drain();
  return status(sticky_error());
}

cudaError_t cudaStreamQuery(cudaStream_t stream) {
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (capturing(stream)) return status(cudaErrorStreamCaptureUnsupported);
  if (is_legacy(stream)) return cudaSuccess;
  if (sticky_error() != cudaSuccess) return status(sticky_error());
  return stream->idle() ? cudaSuccess : cudaErrorNotReady;  // not ready is no error: last error unchanged
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
  (void)flags;
  if (!known_stream(stream) || event == nullptr) return status(cudaErrorInvalidResourceHandle);
  if (event->captured != nullptr) {
    // joining a capture: from here on this stream's work goes into the same graph, after the
    // captured work so far (one valid order of the captured dependencies)
    if (is_legacy(stream)) return status(cudaErrorStreamCaptureImplicit);
    std::lock_guard<std::mutex> lock(stream->m);
    if (stream->capture == nullptr) stream->capture = event->captured;
    return cudaSuccess;
  }
  std::shared_ptr<Marker> m = event->last;
  if (m == nullptr) return cudaSuccess;
  if (capturing(stream)) return cudaSuccess;  // an event from outside the capture: already ordered at replay
  return status(enqueue(stream, [m] { m->wait(); }));
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned int flags) {
  if (event == nullptr) return status(cudaErrorInvalidValue);
  auto* e = new CUevent_st();
  e->flags = flags;
  *event = e;
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  if (event == nullptr) return status(cudaErrorInvalidResourceHandle);
  delete event;  // work still to record it holds its marker, not the event
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  if (event == nullptr || !known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (capturing(stream)) {
    event->captured = stream->capture;
    return cudaSuccess;
  }
  event->captured = nullptr;
  auto m = std::make_shared<Marker>();
  event->last = m;
  return status(enqueue(stream, [m] { m->complete(); }));
}

cudaError_t cudaEventQuery(cudaEvent_t event) {
  if (event == nullptr) return status(cudaErrorInvalidResourceHandle);
  std::shared_ptr<Marker> m = event->last;
  if (m == nullptr || m->is_done()) return status(sticky_error());
  return cudaErrorNotReady;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  if (event == nullptr) return status(cudaErrorInvalidResourceHandle);
  std::shared_ptr<Marker> m = event->last;
  if (m != nullptr) m->wait();
  return status(sticky_error());
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (ms == nullptr) return status(cudaErrorInvalidValue);
  if (start == nullptr || end == nullptr) return status(cudaErrorInvalidResourceHandle);
  if ((start->flags | end->flags) & cudaEventDisableTiming) return status(cudaErrorInvalidResourceHandle);
  std::shared_ptr<Marker> a = start->last, b = end->last;
  if (a == nullptr || b == nullptr) return status(cudaErrorInvalidResourceHandle);
  if (!a->is_done() || !b->is_done()) return status(cudaErrorNotReady);
  *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
  return cudaSuccess;
}

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
  if (is_legacy(stream)) return status(cudaErrorStreamCaptureImplicit);
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  std::lock_guard<std::mutex> lock(stream->m);
  if (stream->capture != nullptr) return status(cudaErrorIllegalState);
  stream->capture = new CUgraph_st();
  stream->capture_origin = true;
  stream->capture_invalidated = false;
  stream->capture_mode = mode;
  return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t* graph) {
  if (graph == nullptr) return status(cudaErrorInvalidValue);
  if (is_legacy(stream) || !known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  CUgraph_st* g = stream->capture;
  if (g == nullptr) return status(cudaErrorIllegalState);
  if (!stream->capture_origin) return status(cudaErrorStreamCaptureUnmatched);
  bool invalidated = stream->capture_invalidated;
  for (CUstream_st* s : snapshot_streams())
    if (s->capture == g) {
      std::lock_guard<std::mutex> lock(s->m);
      s->capture = nullptr;
      s->capture_origin = false;
      s->capture_invalidated = false;
    }
  if (invalidated) {
    delete g;
    *graph = nullptr;
    return status(cudaErrorStreamCaptureInvalidated);
  }
  *graph = g;
  return cudaSuccess;
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus* out) {
  if (out == nullptr) return status(cudaErrorInvalidValue);
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  if (!capturing(stream)) *out = cudaStreamCaptureStatusNone;
  else *out = stream->capture_invalidated ? cudaStreamCaptureStatusInvalidated : cudaStreamCaptureStatusActive;
  return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t graph, unsigned long long flags) {
  (void)flags;
  if (exec == nullptr || graph == nullptr) return status(cudaErrorInvalidValue);
  *exec = new CUgraphExec_st{graph->ops};
  return cudaSuccess;
}

cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
  if (exec == nullptr) return status(cudaErrorInvalidValue);
  if (capturing(stream)) return status(cudaErrorNotSupported);  // child graphs: not emulated
  std::vector<Op> ops = exec->ops;
  return status(enqueue(stream, [ops] {
    for (const Op& op : ops) op();
  }));
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
  delete exec;
  return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
  delete graph;
  return cudaSuccess;
}

cudaError_t cudaLibraryLoadData(cudaLibrary_t* library, const void* code, cudaJitOption* jitOptions, void** jitOptionsValues,
                                unsigned int numJitOptions, cudaLibraryOption* libraryOptions, void** libraryOptionValues,
                                unsigned int numLibraryOptions) {
  (void)jitOptions, (void)jitOptionsValues, (void)numJitOptions, (void)libraryOptions, (void)libraryOptionValues, (void)numLibraryOptions;
  if (library == nullptr || code == nullptr) return status(cudaErrorInvalidValue);
  // the image is not run (the kernels are compiled in), but it must be a fatbin as nvcc writes it
  uint32_t magic;
  std::memcpy(&magic, code, 4);
  if (magic != 0xBA55ED50u) return status(cudaErrorInvalidKernelImage);
  *library = new CUlib_st{1};
  return cudaSuccess;
}

cudaError_t cudaLibraryGetKernel(cudaKernel_t* kernel, cudaLibrary_t library, const char* name) {
  if (kernel == nullptr || name == nullptr) return status(cudaErrorInvalidValue);
  if (library == nullptr || library->magic != 1) return status(cudaErrorInvalidResourceHandle);
  const ddp4j_emu::KernelEntry* k = ddp4j_emu::find_kernel(name);
  if (k == nullptr) return status(cudaErrorSymbolNotFound);
  *kernel = reinterpret_cast<cudaKernel_t>(const_cast<ddp4j_emu::KernelEntry*>(k));
  return cudaSuccess;
}

cudaError_t cudaLibraryUnload(cudaLibrary_t library) {
  if (library == nullptr || library->magic != 1) return status(cudaErrorInvalidResourceHandle);
  library->magic = 0;
  delete library;
  return cudaSuccess;
}

cudaError_t cudaLaunchKernel(const void* func, dim3 grid, dim3 block, void** args, size_t sharedMem, cudaStream_t stream) {
  (void)sharedMem;
  if (!ddp4j_emu::is_kernel(func)) return status(cudaErrorInvalidDeviceFunction);
  unsigned long long threads = static_cast<unsigned long long>(block.x) * block.y * block.z;
  if (threads == 0 || threads > 1024 || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535)
    return status(cudaErrorInvalidConfiguration);
  if (!known_stream(stream)) return status(cudaErrorInvalidResourceHandle);
  const auto* k = static_cast<const ddp4j_emu::KernelEntry*>(func);
  std::function<void()> body = k->bind_thread_body(args);
  bool barriers = k->barriers;
  const char* name = k->name;
  return status(enqueue(stream, [grid, block, barriers, body, name] {
    std::string failure = ddp4j_emu::run_grid(grid, block, barriers, body);
    if (!failure.empty()) fail(cudaErrorLaunchFailure, std::string(name) + ": " + failure);
  }));
}

cudaError_t cudaGetLastError(void) {
  cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) { return last_error; }

const char* cudaGetErrorName(cudaError_t error) { return error_text(error).name; }

const char* cudaGetErrorString(cudaError_t error) { return error_text(error).text; }

cudaError_t cudaRuntimeGetVersion(int* version) {
  if (version == nullptr) return status(cudaErrorInvalidValue);
  *version = kRuntimeVersion;
  return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int* version) {
  if (version == nullptr) return status(cudaErrorInvalidValue);
  *version = kRuntimeVersion;
  return cudaSuccess;
}

}  // extern "C"
