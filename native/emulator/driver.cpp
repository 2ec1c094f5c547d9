// The CUDA driver subset ddp4j's GPU tests use, emulated on the host as libcuda.so.1 beside the
// emulated runtime: cuStreamWaitValue32 (a stream waits until a 32-bit word meets a condition,
// which the tests' StreamGate uses to hold a stream until it opens it from Java) and the driver's
// error texts. ddp4j's bindings have no driver API; only test helpers load this library.
//
// The wait is an op on the stream like any other: the stream's worker polls the word with an
// acquire load (another thread writes it, with no CUDA call), yielding and then sleeping between
// polls, so a held stream costs next to no CPU. Work behind it on that stream, and on streams
// that wait for it through events, waits; the host, other streams and NCCL's abort do not, as on a
// GPU. As on a GPU it waits for ever if the condition is never met, and the word must stay
// allocated until it is (cudaFreeHost waits for its device's streams first, as the driver does).
// Stricter than the driver where it would be silent or fault later:
//  - addr must be 4-byte aligned inside a live device or pinned allocation (pageable memory is
//    CUDA_ERROR_INVALID_VALUE, not a GPU fault later);
//  - the legacy default stream is CUDA_ERROR_NOT_SUPPORTED: the emulator runs that stream's work
//    on the calling thread, where a wait would block the host, which a GPU never does;
//  - CU_STREAM_WAIT_VALUE_FLUSH is CUDA_ERROR_NOT_SUPPORTED, as on a device without
//    CU_DEVICE_ATTRIBUTE_CAN_FLUSH_REMOTE_WRITES (the emulated runtime reports 0 for it).
// Signatures and values come from the toolkit's cuda.h, so the compiler checks them.
#include "emulator.h"

#include <cuda.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

namespace {

constexpr unsigned kConditionMask = 0x3;  // GEQ, EQ, AND, NOR

bool is_legacy(CUstream s) { return s == nullptr || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD; }

// Whether the word meets the condition of cuStreamWaitValue32's flags.
bool met(uint32_t word, uint32_t value, unsigned condition) {
  switch (condition) {
    case CU_STREAM_WAIT_VALUE_GEQ: return static_cast<int32_t>(word - value) >= 0;  // cyclic, ignoring wraparound
    case CU_STREAM_WAIT_VALUE_EQ: return word == value;
    case CU_STREAM_WAIT_VALUE_AND: return (word & value) != 0;
    default: return ~(word | value) != 0;  // CU_STREAM_WAIT_VALUE_NOR
  }
}

// Runs on the stream's worker: polls until the condition is met, first yielding, then sleeping
// up to a millisecond between polls.
void wait_until_met(const uint32_t* word, uint32_t value, unsigned condition) {
  auto pause = std::chrono::microseconds(20);
  for (int polls = 0; !met(__atomic_load_n(word, __ATOMIC_ACQUIRE), value, condition); polls++) {
    if (polls < 100) {
      std::this_thread::yield();
      continue;
    }
    std::this_thread::sleep_for(pause);
    if (pause < std::chrono::milliseconds(1)) pause *= 2;
  }
}

CUresult refuse(CUresult result, const char* why, CUdeviceptr addr) {
  std::fprintf(stderr, "[ddp4j CUDA emulator] cuStreamWaitValue32 on 0x%llx: %s\n", static_cast<unsigned long long>(addr), why);
  std::fflush(stderr);
  return result;
}

CUresult wait_value32(CUstream stream, CUdeviceptr addr, cuuint32_t value, unsigned int flags) {
  if ((flags & CU_STREAM_WAIT_VALUE_FLUSH) != 0)
    return refuse(CUDA_ERROR_NOT_SUPPORTED, "CU_STREAM_WAIT_VALUE_FLUSH needs a device that can flush remote writes", addr);
  if ((flags & ~kConditionMask) != 0) return refuse(CUDA_ERROR_INVALID_VALUE, "unknown flags", addr);
  const auto* word = reinterpret_cast<const uint32_t*>(static_cast<uintptr_t>(addr));
  if (addr % sizeof(uint32_t) != 0 || !ddp4j_emu::is_device_addressable(word, sizeof(uint32_t)))
    return refuse(CUDA_ERROR_INVALID_VALUE, "not a 4-byte aligned word of device or pinned memory", addr);
  if (is_legacy(stream))
    return refuse(CUDA_ERROR_NOT_SUPPORTED, "the emulator runs the legacy stream's work on the calling thread, where a wait would block the host", addr);
  unsigned condition = flags & kConditionMask;
  switch (ddp4j_emu::enqueue(stream, [word, value, condition] { wait_until_met(word, value, condition); })) {
    case cudaSuccess: return CUDA_SUCCESS;
    case cudaErrorInvalidResourceHandle: return CUDA_ERROR_INVALID_HANDLE;
    case cudaErrorStreamCaptureInvalidated: return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    default: return CUDA_ERROR_UNKNOWN;
  }
}

// The results the emulated driver returns, with the driver's names and texts.
struct ResultText {
  CUresult code;
  const char* name;
  const char* text;
};
constexpr ResultText kResults[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {CUDA_ERROR_STREAM_CAPTURE_INVALIDATED, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ResultText* result_text(CUresult r) {
  for (const ResultText& t : kResults)
    if (t.code == r) return &t;
  return nullptr;
}

}  // namespace

extern "C" {

// cuda.h maps cuStreamWaitValue32 to the _v2 entry point; the driver exports both names.
CUresult cuStreamWaitValue32_v2(CUstream stream, CUdeviceptr addr, cuuint32_t value, unsigned int flags) {
  return wait_value32(stream, addr, value, flags);
}

#undef cuStreamWaitValue32
CUresult cuStreamWaitValue32(CUstream stream, CUdeviceptr addr, cuuint32_t value, unsigned int flags) {
  return wait_value32(stream, addr, value, flags);
}

// An unknown code: *pStr becomes NULL and the call CUDA_ERROR_INVALID_VALUE, as the driver does.
CUresult cuGetErrorName(CUresult error, const char** pStr) {
  if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const ResultText* t = result_text(error);
  *pStr = t == nullptr ? nullptr : t->name;
  return t == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char** pStr) {
  if (pStr == nullptr) return CUDA_ERROR_INVALID_VALUE;
  const ResultText* t = result_text(error);
  *pStr = t == nullptr ? nullptr : t->text;
  return t == nullptr ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

}  // extern "C"
