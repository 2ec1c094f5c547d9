// Runs a kernel's grid on the calling thread. Blocks run one after another; within a block,
// threads run one after another too, each to its end, unless the kernel synchronises threads:
// then every thread is a fiber with its own stack, __syncthreads switches back to the scheduler,
// and the scheduler resumes the block's threads round-robin, one pass per barrier. The switch is
// a few instructions of assembly (callee-saved registers and the stack pointer): ucontext's
// swapcontext makes a system call per switch, which made a reduction over 10^4 outputs take
// minutes.
// A pass after which live threads sit at different barriers (or some left while others wait)
// is what would hang or corrupt a real block; it is reported as the launch's failure.
#include "emulator.h"
#include "device_shim.h"

#include <mutex>
#include <sys/mman.h>
#include <vector>

#if !defined(__x86_64__)
#error "the CUDA emulator's fibers switch stacks in x86-64 assembly"
#endif

// Saves the callee-saved registers on the current stack, stores the stack pointer in *from and
// continues on the stack `to` (one that this function saved, or a new fiber's prepared stack).
extern "C" void ddp4j_emu_switch(void** from, void* to);
asm(R"(
.text
.globl ddp4j_emu_switch
.hidden ddp4j_emu_switch
.type ddp4j_emu_switch,@function
ddp4j_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size ddp4j_emu_switch,.-ddp4j_emu_switch
)");

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace ddp4j_emu {
namespace {

constexpr size_t kFiberStack = 256 * 1024;

struct Fiber {
  void* sp = nullptr;  // saved stack pointer while suspended
  char* stack = nullptr;
  bool done = false;
  long barriers = 0;  // __syncthreads calls so far
};

std::mutex& kernel_lock() {
  static std::mutex* m = new std::mutex();  // never destroyed: stream workers may outlive statics
  return *m;
}

void* scheduler_sp = nullptr;
std::vector<Fiber>* fibers = nullptr;
const std::function<void()>* fiber_body = nullptr;
unsigned current = 0;
bool in_fiber = false;

[[noreturn]] void fiber_main() {
  (*fiber_body)();
  Fiber& f = (*fibers)[current];
  f.done = true;
  ddp4j_emu_switch(&f.sp, scheduler_sp);  // never resumed
  __builtin_unreachable();
}

// A new fiber's stack as ddp4j_emu_switch leaves a suspended one: six saved registers (zero),
// then fiber_main as the return address, placed so that fiber_main starts with the stack
// alignment a call gives (rsp + 8 a multiple of 16).
void* prepare_stack(char* stack) {
  auto top = reinterpret_cast<uintptr_t>(stack + kFiberStack) & ~static_cast<uintptr_t>(15);
  auto* ret = reinterpret_cast<void**>(top - 16);
  ret[0] = reinterpret_cast<void*>(&fiber_main);
  ret[1] = nullptr;
  void** regs = ret - 6;
  for (int i = 0; i < 6; i++) regs[i] = nullptr;
  return regs;
}

// The coordinates of linear index i in dims d, x fastest (threads in a block, blocks in a grid).
uint3 coordinates(unsigned long long i, dim3 d) {
  unsigned long long plane = static_cast<unsigned long long>(d.x) * d.y;
  return uint3{static_cast<unsigned>(i % d.x), static_cast<unsigned>((i / d.x) % d.y), static_cast<unsigned>(i / plane)};
}

std::string run_block_as_fibers(dim3 block, const std::function<void()>& body) {
  unsigned n = block.x * block.y * block.z;
  if (fibers == nullptr) fibers = new std::vector<Fiber>();
  while (fibers->size() < n) {
    Fiber f;
    void* stack = mmap(nullptr, kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) return "could not map a fiber stack";
    f.stack = static_cast<char*>(stack);
    fibers->push_back(f);
  }
  fiber_body = &body;
  for (unsigned t = 0; t < n; t++) {
    Fiber& f = (*fibers)[t];
    f.done = false;
    f.barriers = 0;
    f.sp = prepare_stack(f.stack);
  }
  in_fiber = true;
  std::string failure;
  for (bool live = true; live && failure.empty();) {
    live = false;
    for (unsigned t = 0; t < n; t++) {
      Fiber& f = (*fibers)[t];
      if (f.done) continue;
      current = t;
      threadIdx = coordinates(t, block);
      ddp4j_emu_switch(&scheduler_sp, f.sp);
    }
    long at = -1;
    bool someDone = false;
    for (unsigned t = 0; t < n; t++) {
      Fiber& f = (*fibers)[t];
      if (f.done) { someDone = true; continue; }
      live = true;
      if (at < 0) at = f.barriers;
      else if (f.barriers != at) failure = "threads of block " + std::to_string(blockIdx.x) + " wait at different __syncthreads";
    }
    if (live && someDone && failure.empty())
      failure = "some threads of block " + std::to_string(blockIdx.x) + " returned while others wait at __syncthreads";
  }
  in_fiber = false;
  return failure;
}

}  // namespace

std::string run_grid(dim3 grid, dim3 block, bool barriers, const std::function<void()>& body) {
  std::lock_guard<std::mutex> lock(kernel_lock());
  gridDim = grid;
  blockDim = block;
  unsigned long long blocks = static_cast<unsigned long long>(grid.x) * grid.y * grid.z;
  unsigned threads = block.x * block.y * block.z;  // at most 1024 (checked at launch)
  for (unsigned long long b = 0; b < blocks; b++) {
    blockIdx = coordinates(b, grid);
    if (barriers) {
      std::string failure = run_block_as_fibers(block, body);
      if (!failure.empty()) return failure;
      continue;
    }
    for (unsigned t = 0; t < threads; t++) {
      threadIdx = coordinates(t, block);
      body();
    }
  }
  return "";
}

}  // namespace ddp4j_emu

void __syncthreads() {
  using namespace ddp4j_emu;
  if (!in_fiber) {
    // a kernel the table did not mark as synchronising: its file lacks the word __syncthreads
    fail(cudaErrorLaunchFailure, "__syncthreads in a kernel run without fibers");
    return;
  }
  Fiber& f = (*fibers)[current];
  f.barriers++;
  ddp4j_emu_switch(&f.sp, scheduler_sp);
}
