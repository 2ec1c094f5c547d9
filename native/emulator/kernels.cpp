// Every kernel of native/kernels compiled for the host, and the table the emulated runtime's
// cudaLibraryGetKernel looks names up in. CMake generates the two .inc files from the kernel
// sources (each `DDP4J_KERNEL void name(` and whether its file calls __syncthreads), so a new
// kernel needs no change here.
#include "device_shim.h"
#include "emulator.h"

#include <cstring>
#include <tuple>
#include <utility>

#include "emulated_kernel_sources.inc"

namespace ddp4j_emu {
namespace {

// Copies each argument out of a launch's args array (args[i] points at argument i) and returns
// the body every thread of the grid runs.
template <class... A, size_t... I>
std::function<void()> bind_with(void (*kernel)(A...), void** args, std::index_sequence<I...>) {
  auto copied = std::make_tuple(*static_cast<std::decay_t<A>*>(args[I])...);
  return [kernel, copied]() { std::apply(kernel, copied); };
}

template <class... A>
std::function<std::function<void()>(void**)> binder(void (*kernel)(A...)) {
  return [kernel](void** args) { return bind_with(kernel, args, std::index_sequence_for<A...>{}); };
}

#define DDP4J_EMU_KERNEL(name, barriers) KernelEntry{#name, barriers, binder(&name)},
const KernelEntry kTable[] = {
#include "emulated_kernel_table.inc"
};
#undef DDP4J_EMU_KERNEL

}  // namespace

const KernelEntry* find_kernel(const char* name) {
  for (const KernelEntry& k : kTable)
    if (std::strcmp(k.name, name) == 0) return &k;
  return nullptr;
}

bool is_kernel(const void* handle) {
  for (const KernelEntry& k : kTable)
    if (&k == handle) return true;
  return false;
}

}  // namespace ddp4j_emu
