// The NCCL subset ddp4j binds (io.ddp4j.bindings.nccl.Nccl), emulated on the host as libnccl.so.2
// beside the emulated runtime, so the nccl process group, DDP's device buckets and SyncBatchNorm
// run in CI, with several ranks: ranks are threads of one process or separate processes, each on
// its own emulated device, as with real GPUs.
//
// How ranks meet: a communicator's unique id names a file in /dev/shm (or /tmp) that every rank
// maps. Each collective moves through it in steps: every rank copies its part of the step into its
// own slot, all ranks meet at a barrier (a futex in the shared mapping), each reads what it needs,
// and they meet again before the slots are reused. Send and receive go through one mailbox per
// ordered pair of ranks. A collective runs on the stream it was issued on (the runtime's worker for
// that stream), so the stream waits for the other ranks exactly as a GPU's would.
//
// Stricter than NCCL, to find bugs a GPU run would show as a hang or garbage:
//  - every collective checks that all ranks issued the same call (kind, count, type, operator,
//    root): a mismatch fails all ranks with ncclInvalidUsage and says which rank called what;
//  - buffers must lie inside device memory of the communicator's device;
//  - two ranks on one device are refused at init, as NCCL refuses them;
//  - a handle used after destroy or abort is ncclInvalidArgument, not a use after free;
//  - when a rank aborts, its peers' pending and later collectives fail with ncclRemoteError instead
//    of waiting forever.
// Reductions run over ranks in rank order, rounding to the element type after every step, so all
// ranks get the same bits. nccl.h is not on this machine, so the API's types are declared here.
#include "emulator.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

// ------------------------------------------------------------------ the API's types (nccl.h 2.28)

typedef int ncclResult_t;
enum : int { ncclSuccess = 0, ncclUnhandledCudaError = 1, ncclSystemError = 2, ncclInternalError = 3,
             ncclInvalidArgument = 4, ncclInvalidUsage = 5, ncclRemoteError = 6, ncclInProgress = 7 };
enum : int { ncclInt8 = 0, ncclUint8, ncclInt32, ncclUint32, ncclInt64, ncclUint64, ncclFloat16, ncclFloat32,
             ncclFloat64, ncclBfloat16, ncclFloat8e4m3, ncclFloat8e5m2, ncclNumTypes };
enum : int { ncclSum = 0, ncclProd, ncclMax, ncclMin, ncclAvg, ncclNumOps };

struct ncclUniqueId {
  char internal[128];
};

// ncclConfig_t as NCCL 2.28 lays it out (io.ddp4j.bindings.nccl.NcclConfigLayout): only the
// fields the emulator reads are named past `blocking`.
struct ncclConfig_t {
  size_t size;
  unsigned int magic;
  unsigned int version;
  int blocking;
  int cgaClusterSize, minCTAs, maxCTAs;
  const char* netName;
  int splitShare, trafficClass;
  const char* commName;
};
constexpr unsigned int kConfigMagic = 0xcafebeef;
constexpr int kConfigUndefInt = INT_MIN;
constexpr int kVersionCode = 22803;  // the NCCL the GPU machine has, and the headers ddp4j was written against

struct CommState;
struct ncclComm {
  std::shared_ptr<CommState> state;
};
typedef ncclComm* ncclComm_t;

namespace {

// ------------------------------------------------------------------ warnings

std::mutex warning_lock;
char last_warning[1024] = "";

ncclResult_t warn(ncclResult_t result, const char* format, ...) {
  char text[900];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  {
    std::lock_guard<std::mutex> lock(warning_lock);
    std::snprintf(last_warning, sizeof last_warning, "%s", text);
  }
  std::fprintf(stderr, "[ddp4j NCCL emulator] %s\n", text);
  std::fflush(stderr);
  return result;
}

// ------------------------------------------------------------------ element types and reductions

size_t type_size(int type) {
  switch (type) {
    case ncclInt8: case ncclUint8: case ncclFloat8e4m3: case ncclFloat8e5m2: return 1;
    case ncclFloat16: case ncclBfloat16: return 2;
    case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
    case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
  }
  return 0;
}

const char* type_name(int type) {
  static const char* names[] = {"int8", "uint8", "int32", "uint32", "int64", "uint64", "float16", "float32",
                                "float64", "bfloat16", "float8e4m3", "float8e5m2"};
  return type >= 0 && type < ncclNumTypes ? names[type] : "an unknown type";
}

const char* op_name(int op) {
  static const char* names[] = {"sum", "prod", "max", "min", "avg"};
  return op >= 0 && op < ncclNumOps ? names[op] : "an unknown operator";
}

// Integers combine in their own width (unsigned arithmetic, so a sum wraps as on the GPU).
template <class T>
T combine_int(T a, T b, int op) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
    case ncclSum: case ncclAvg: return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    case ncclProd: return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    case ncclMax: return a > b ? a : b;
    default: return a < b ? a : b;
  }
}

template <class T>
void reduce_ints(void* out, const char* const* in, int ranks, size_t n, int op) {
  for (size_t i = 0; i < n; i++) {
    T acc = reinterpret_cast<const T*>(in[0])[i];
    for (int q = 1; q < ranks; q++) acc = combine_int(acc, reinterpret_cast<const T*>(in[q])[i], op);
    if (op == ncclAvg) acc = static_cast<T>(acc / static_cast<T>(ranks));
    reinterpret_cast<T*>(out)[i] = acc;
  }
}

// Floating types: each rank's value is read as float (double for float64), combined with the
// running result, and the result rounded to the element type after every rank, as a ring's hops
// round. Avg multiplies every input by 1/ranks first, as NCCL's pre-multiplied sum does.
template <class T, class A, A (*Load)(T), T (*Store)(A)>
void reduce_floats(void* out, const char* const* in, int ranks, size_t n, int op) {
  const A scale = static_cast<A>(1) / static_cast<A>(ranks);
  for (size_t i = 0; i < n; i++) {
    auto value = [&](int q) {
      A v = Load(reinterpret_cast<const T*>(in[q])[i]);
      return op == ncclAvg ? Load(Store(v * scale)) : v;
    };
    A acc = value(0);
    for (int q = 1; q < ranks; q++) {
      A x = value(q);
      switch (op) {
        case ncclSum: case ncclAvg: acc = acc + x; break;
        case ncclProd: acc = acc * x; break;
        case ncclMax: acc = acc > x || acc != acc ? acc : x; break;  // NaN wins, as fmax does not
        default: acc = acc < x || acc != acc ? acc : x; break;
      }
      acc = Load(Store(acc));
    }
    reinterpret_cast<T*>(out)[i] = Store(acc);
  }
}

float f16_load(__half v) { return __half2float(v); }
__half f16_store(float v) { return __float2half_rn(v); }
float bf16_load(__nv_bfloat16 v) { return __bfloat162float(v); }
__nv_bfloat16 bf16_store(float v) { return __float2bfloat16_rn(v); }
float e4m3_load(__nv_fp8_storage_t v) { return __half2float(__half(__nv_cvt_fp8_to_halfraw(v, __NV_E4M3))); }
__nv_fp8_storage_t e4m3_store(float v) { return __nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3); }
float e5m2_load(__nv_fp8_storage_t v) { return __half2float(__half(__nv_cvt_fp8_to_halfraw(v, __NV_E5M2))); }
__nv_fp8_storage_t e5m2_store(float v) { return __nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E5M2); }
template <class T> T same(T v) { return v; }

// out[i] = op over ranks of in[q][i], for n elements of type.
void reduce(void* out, const char* const* in, int ranks, size_t n, int type, int op) {
  switch (type) {
    case ncclInt8: return reduce_ints<int8_t>(out, in, ranks, n, op);
    case ncclUint8: return reduce_ints<uint8_t>(out, in, ranks, n, op);
    case ncclInt32: return reduce_ints<int32_t>(out, in, ranks, n, op);
    case ncclUint32: return reduce_ints<uint32_t>(out, in, ranks, n, op);
    case ncclInt64: return reduce_ints<int64_t>(out, in, ranks, n, op);
    case ncclUint64: return reduce_ints<uint64_t>(out, in, ranks, n, op);
    case ncclFloat16: return reduce_floats<__half, float, f16_load, f16_store>(out, in, ranks, n, op);
    case ncclBfloat16: return reduce_floats<__nv_bfloat16, float, bf16_load, bf16_store>(out, in, ranks, n, op);
    case ncclFloat32: return reduce_floats<float, float, same<float>, same<float>>(out, in, ranks, n, op);
    case ncclFloat64: return reduce_floats<double, double, same<double>, same<double>>(out, in, ranks, n, op);
    case ncclFloat8e4m3: return reduce_floats<__nv_fp8_storage_t, float, e4m3_load, e4m3_store>(out, in, ranks, n, op);
    case ncclFloat8e5m2: return reduce_floats<__nv_fp8_storage_t, float, e5m2_load, e5m2_store>(out, in, ranks, n, op);
  }
}

// ------------------------------------------------------------------ the shared mapping

constexpr uint64_t kSharedMagic = 0x3175656d34706464ull;  // "ddp4emu1"
constexpr char kIdMagic[8] = {'d', 'd', 'p', '4', 'j', 'e', 'm', 'u'};
constexpr int kMaxRanks = 32;
constexpr size_t kSlotBytes = 1 << 20;    // each rank's part of one collective step
constexpr size_t kMailBytes = 256 << 10;  // one ordered pair's mailbox
constexpr auto kJoinTimeout = std::chrono::minutes(10);

enum Kind : int32_t { AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, Send, Recv };

// Calls that combine values with an operator, and calls with a root (broadcast, reduce) or a peer (send, recv).
bool is_reducing(int kind) { return kind == AllReduce || kind == Reduce || kind == ReduceScatter; }
bool is_rooted(int kind) { return kind == Broadcast || kind == Reduce; }
bool is_point_to_point(int kind) { return kind == Send || kind == Recv; }

const char* kind_name(int kind) {
  static const char* names[] = {"allReduce", "broadcast", "reduce", "allGather", "reduceScatter", "send", "recv"};
  return names[kind];
}

// A call as a mismatch report names it, e.g. "reduce(1000 x float32, sum, root 1)".
std::string describe(int kind, uint64_t count, int type, int op, int root) {
  char text[160];
  int n = std::snprintf(text, sizeof text, "%s(%llu x %s", kind_name(kind), static_cast<unsigned long long>(count), type_name(type));
  if (is_reducing(kind)) n += std::snprintf(text + n, sizeof text - n, ", %s", op_name(op));
  if (is_rooted(kind)) n += std::snprintf(text + n, sizeof text - n, ", root %d", root);
  std::snprintf(text + n, sizeof text - n, ")");
  return text;
}

// What a rank says it is calling, compared across ranks at every collective's first step.
struct Descriptor {
  int32_t kind, type, op, root;
  uint64_t count, sequence;
};

static_assert(std::atomic<uint32_t>::is_always_lock_free, "futex words must be plain 32-bit atomics");

struct Shared {
  std::atomic<uint64_t> ready;  // kSharedMagic once the creating rank has laid it out
  uint32_t ranks;
  std::atomic<uint32_t> joined;
  std::atomic<uint32_t> aborted;  // 1 + the rank that aborted or failed first; 0 while all is well
  std::atomic<uint32_t> arrived;  // barrier: ranks at the current generation
  std::atomic<uint32_t> generation;
  std::atomic<uint32_t> mail_epoch;  // bumped at every mailbox change; p2p waiters sleep on it
  std::atomic<uint32_t> taken[kMaxRanks];
  int32_t device[kMaxRanks];  // the physical device of each rank
  Descriptor call[kMaxRanks];
  std::atomic<uint32_t> mail_full[kMaxRanks * kMaxRanks];
  uint64_t mail_bytes[kMaxRanks * kMaxRanks];  // bytes in the mailbox now
  uint64_t mail_total[kMaxRanks * kMaxRanks];  // bytes of the whole message being sent
};

size_t header_bytes() { return (sizeof(Shared) + 4095) / 4096 * 4096; }
size_t mapping_bytes(int ranks) {
  return header_bytes() + static_cast<size_t>(ranks) * kSlotBytes + static_cast<size_t>(ranks) * ranks * kMailBytes;
}

void futex_wake(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}
void futex_wait(std::atomic<uint32_t>* word, uint32_t seen, long nanos) {
  timespec t{0, nanos};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, seen, &t, nullptr, 0);
}

std::string id_hex(const ncclUniqueId& id) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (int i = 8; i < 24; i++) {
    s += digits[(id.internal[i] >> 4) & 15];
    s += digits[id.internal[i] & 15];
  }
  return s;
}

std::string mapping_path(const ncclUniqueId& id) {
  struct stat st;
  const char* dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/ddp4j-nccl-" + id_hex(id);
}

// The device a rank's ordinal names, through CUDA_VISIBLE_DEVICES as the driver reads it, so two
// processes that each see "device 0" of different GPUs are told apart.
int physical_device(int ordinal) {
  const char* v = std::getenv("CUDA_VISIBLE_DEVICES");
  if (v == nullptr || *v == 0) return ordinal;
  std::vector<int> ids;
  for (const char* p = v; *p;) {
    char* end;
    long x = std::strtol(p, &end, 10);
    if (end == p) return ordinal;
    ids.push_back(static_cast<int>(x));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != 0) return ordinal;
  }
  return ordinal >= 0 && ordinal < static_cast<int>(ids.size()) ? ids[ordinal] : ordinal;
}

}  // namespace

// ------------------------------------------------------------------ communicators

struct CommState {
  int rank = 0, ranks = 0, device = 0;
  bool blocking = true;
  std::string name;
  ncclUniqueId id{};
  Shared* shared = nullptr;
  char* slots = nullptr;
  char* mail = nullptr;
  size_t mapped = 0;
  std::atomic<int> async{ncclInProgress};  // ncclCommGetAsyncError's answer
  std::atomic<bool> aborted{false};
  std::mutex exec;  // one task list of this communicator runs at a time
  uint64_t executed = 0;  // collectives run so far (under exec): the sequence number in mismatch reports
  std::mutex m;
  std::condition_variable cv;
  int pending = 0;  // enqueued work not yet finished

  ~CommState() {
    if (shared != nullptr) munmap(shared, mapped);
  }

  bool broken() const { return aborted.load() || (shared != nullptr && shared->aborted.load() != 0); }

  // Ready and unbroken: its queued work may run.
  bool healthy() const { return !broken() && async.load() == ncclSuccess; }

  // Marks the communicator failed (the first error sticks) and tells the peers.
  void break_with(ncclResult_t error) {
    int expected = ncclSuccess;
    async.compare_exchange_strong(expected, error);
    expected = ncclInProgress;
    async.compare_exchange_strong(expected, error);
    if (shared != nullptr) {
      uint32_t none = 0;
      shared->aborted.compare_exchange_strong(none, static_cast<uint32_t>(rank + 1));
      futex_wake(&shared->generation);
      futex_wake(&shared->mail_epoch);
    }
  }

  // The error a failed wait reports: this rank's own, or a peer's.
  ncclResult_t failure() {
    if (aborted.load()) return ncclInvalidUsage;
    int a = async.load();
    if (a != ncclSuccess && a != ncclInProgress) return a;
    uint32_t who = shared == nullptr ? 0 : shared->aborted.load();
    warn(ncclRemoteError, "rank %d of %d (%s): rank %u aborted or failed, so this collective cannot complete", rank, ranks,
         name.c_str(), who - 1);
    break_with(ncclRemoteError);
    return ncclRemoteError;
  }

  // All ranks meet; false when the communicator or a peer broke before all had arrived. A peer
  // that breaks just after the meeting (e.g. it saw the calls disagree) does not undo it: this
  // rank goes on to see the same thing for itself.
  bool barrier() {
    Shared* s = shared;
    if (broken()) return false;
    uint32_t gen = s->generation.load(std::memory_order_acquire);
    if (s->arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == static_cast<uint32_t>(ranks)) {
      s->arrived.store(0, std::memory_order_relaxed);
      s->generation.fetch_add(1, std::memory_order_release);
      futex_wake(&s->generation);
      return true;
    }
    for (int spin = 0; s->generation.load(std::memory_order_acquire) == gen; spin++) {
      if (broken()) return false;
      if (spin < 64) std::this_thread::yield();
      else futex_wait(&s->generation, gen, 10'000'000);
    }
    return true;
  }

  char* slot(int q) { return slots + static_cast<size_t>(q) * kSlotBytes; }
  char* mailbox(int from, int to) { return mail + (static_cast<size_t>(from) * ranks + to) * kMailBytes; }
};

namespace {

std::mutex& registry_lock() {
  static auto* m = new std::mutex();
  return *m;
}
std::set<ncclComm*>& registry() {
  static auto* s = new std::set<ncclComm*>();
  return *s;
}

// The state behind a live handle; null for a null, destroyed or foreign one.
std::shared_ptr<CommState> lookup(ncclComm_t comm) {
  if (comm == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(registry_lock());
  if (registry().count(comm) == 0) return nullptr;
  return comm->state;
}

ncclResult_t bad_comm(const char* call, ncclComm_t comm) {
  return warn(ncclInvalidArgument, comm == nullptr ? "%s: the communicator is NULL" : "%s: %p is not a live communicator (destroyed or aborted?)",
              call, static_cast<void*>(comm));
}

// Maps the id's file and takes `rank` in it, then waits until every rank has; the result becomes
// the communicator's asynchronous state.
ncclResult_t join(CommState& c) {
  const std::string path = mapping_path(c.id);
  const size_t bytes = mapping_bytes(c.ranks);
  auto deadline = std::chrono::steady_clock::now() + kJoinTimeout;
  auto expired = [&] { return std::chrono::steady_clock::now() > deadline; };
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  bool creator = fd >= 0;
  if (creator && ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    close(fd);
    unlink(path.c_str());
    return warn(ncclSystemError, "ncclCommInitRank: cannot size %s to %zu bytes: %s", path.c_str(), bytes, std::strerror(errno));
  }
  while (fd < 0) {
    if (errno != EEXIST && errno != ENOENT) return warn(ncclSystemError, "ncclCommInitRank: cannot open %s: %s", path.c_str(), std::strerror(errno));
    if (c.aborted.load()) return ncclInvalidUsage;
    if (expired()) return warn(ncclSystemError, "ncclCommInitRank: %s never appeared", path.c_str());
    fd = open(path.c_str(), O_RDWR);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  struct stat st;
  while (!creator && fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) < bytes) {
    if (c.aborted.load() || expired()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void* at = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  fstat(fd, &st);
  close(fd);
  if (at == MAP_FAILED) return warn(ncclSystemError, "ncclCommInitRank: cannot map %s: %s", path.c_str(), std::strerror(errno));
  c.shared = static_cast<Shared*>(at);
  c.mapped = bytes;
  c.slots = static_cast<char*>(at) + header_bytes();
  c.mail = c.slots + static_cast<size_t>(c.ranks) * kSlotBytes;
  Shared* s = c.shared;
  if (creator) {
    s->ranks = static_cast<uint32_t>(c.ranks);
    s->ready.store(kSharedMagic, std::memory_order_release);
  }
  while (s->ready.load(std::memory_order_acquire) != kSharedMagic) {
    if (c.aborted.load()) return ncclInvalidUsage;
    if (expired()) return warn(ncclSystemError, "ncclCommInitRank: %s was never laid out", path.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (s->ranks != static_cast<uint32_t>(c.ranks) || static_cast<size_t>(st.st_size) != bytes) {
    return warn(ncclInvalidArgument, "ncclCommInitRank: rank %d says the world has %d ranks, another rank said %u", c.rank, c.ranks, s->ranks);
  }
  if (s->taken[c.rank].exchange(1) != 0) {
    return warn(ncclInvalidUsage, "ncclCommInitRank: rank %d of %d joined twice with one unique id", c.rank, c.ranks);
  }
  s->device[c.rank] = physical_device(c.device);
  if (s->joined.fetch_add(1) + 1 == static_cast<uint32_t>(c.ranks)) unlink(path.c_str());  // all have it mapped
  futex_wake(&s->joined);
  for (uint32_t seen; (seen = s->joined.load()) < static_cast<uint32_t>(c.ranks);) {
    if (c.broken()) return c.aborted.load() ? ncclInvalidUsage : ncclRemoteError;
    if (expired()) return warn(ncclSystemError, "ncclCommInitRank: rank %d waited %lld s for the other ranks to join", c.rank,
                               static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(kJoinTimeout).count()));
    futex_wait(&s->joined, seen, 10'000'000);
  }
  for (int q = 0; q < c.ranks; q++) {
    if (q != c.rank && s->device[q] == s->device[c.rank]) {
      return warn(ncclInvalidUsage, "ncclCommInitRank: ranks %d and %d are both on device %d (NCCL refuses two ranks on one GPU)",
                  std::min(q, c.rank), std::max(q, c.rank), s->device[q]);
    }
  }
  return ncclSuccess;
}

// Runs the join on its own thread (non-blocking init, or init inside a group); the communicator's
// async state says when it is done.
void join_in_background(const std::shared_ptr<CommState>& c) {
  std::thread([c] {
    ncclResult_t r = join(*c);
    int expected = ncclInProgress;
    c->async.compare_exchange_strong(expected, r);
  }).detach();
}

bool wait_while_in_progress(CommState& c) {
  while (c.async.load() == ncclInProgress) std::this_thread::sleep_for(std::chrono::microseconds(200));
  return c.async.load() == ncclSuccess;
}

ncclComm_t register_comm(const std::shared_ptr<CommState>& state) {
  auto* comm = new ncclComm{state};
  std::lock_guard<std::mutex> lock(registry_lock());
  registry().insert(comm);
  return comm;
}

void unregister(ncclComm_t comm) {
  {
    std::lock_guard<std::mutex> lock(registry_lock());
    registry().erase(comm);
  }
  delete comm;
}

// ------------------------------------------------------------------ tasks and groups

struct Task {
  Kind kind;
  const char* send;
  char* recv;
  size_t count;  // per rank: allGather's send count, reduceScatter's receive count
  int type, op, root;  // root: the root of broadcast and reduce, the peer of send and recv
  std::shared_ptr<CommState> comm;
  cudaStream_t stream;
};

struct GroupState {
  int depth = 0;
  ncclResult_t error = ncclSuccess;
  std::vector<Task> tasks;
  std::vector<std::shared_ptr<CommState>> inits;
};
thread_local GroupState group;

// One collective, step by step through the slots (see the file comment).
ncclResult_t run_collective(CommState& c, const Task& t) {
  const int n = c.ranks, r = c.rank;
  const size_t es = type_size(t.type);
  const size_t per_step = t.kind == ReduceScatter ? kSlotBytes / es / n : kSlotBytes / es;
  const size_t steps = t.count == 0 ? 1 : (t.count + per_step - 1) / per_step;
  const uint64_t sequence = c.executed++;
  std::vector<const char*> parts(n);
  for (size_t step = 0; step < steps; step++) {
    const size_t off = step * per_step, k = std::min(per_step, t.count - std::min(t.count, off));
    char* mine = c.slot(r);
    switch (t.kind) {
      case AllReduce: case Reduce: case AllGather: std::memcpy(mine, t.send + off * es, k * es); break;
      case Broadcast: if (r == t.root) std::memcpy(mine, t.send + off * es, k * es); break;
      case ReduceScatter:
        for (int b = 0; b < n; b++) std::memcpy(mine + b * k * es, t.send + (b * t.count + off) * es, k * es);
        break;
      default: break;
    }
    if (step == 0) c.shared->call[r] = Descriptor{t.kind, t.type, t.op, t.root, t.count, sequence};
    if (!c.barrier()) return c.failure();
    if (step == 0) {
      for (int q = 0; q < n; q++) {
        const Descriptor& a = c.shared->call[q];
        if (a.kind != t.kind || a.type != t.type || a.count != t.count || (is_rooted(t.kind) && a.root != t.root)
            || (is_reducing(t.kind) && a.op != t.op)) {
          warn(ncclInvalidUsage,
               "collective #%llu of communicator %s: rank %d called %s but rank %d called %s; every rank must issue the same collectives "
               "in the same order",
               static_cast<unsigned long long>(sequence), c.name.c_str(), r, describe(t.kind, t.count, t.type, t.op, t.root).c_str(), q,
               describe(a.kind, a.count, a.type, a.op, a.root).c_str());
          c.break_with(ncclInvalidUsage);
          return ncclInvalidUsage;
        }
      }
    }
    for (int q = 0; q < n; q++) parts[q] = c.slot(q);
    switch (t.kind) {
      case AllReduce: reduce(t.recv + off * es, parts.data(), n, k, t.type, t.op); break;
      case Reduce: if (r == t.root) reduce(t.recv + off * es, parts.data(), n, k, t.type, t.op); break;
      case Broadcast: std::memcpy(t.recv + off * es, c.slot(t.root), k * es); break;
      case AllGather:
        for (int q = 0; q < n; q++) std::memmove(t.recv + (q * t.count + off) * es, c.slot(q), k * es);
        break;
      case ReduceScatter:
        for (int q = 0; q < n; q++) parts[q] = c.slot(q) + r * k * es;
        reduce(t.recv + off * es, parts.data(), n, k, t.type, t.op);
        break;
      default: break;
    }
    if (!c.barrier()) return c.failure();
  }
  return ncclSuccess;
}

// The sends and receives of one group on one communicator, moved through the mailboxes chunk by
// chunk and all at once, so two ranks that send to each other before receiving do not deadlock.
// Messages between one pair stay in order: only the first unfinished send (receive) per peer moves.
ncclResult_t run_point_to_point(CommState& c, const std::vector<const Task*>& tasks) {
  struct Progress {
    const Task* task;
    size_t bytes, done = 0;
    bool posted = false;  // a message of 0 bytes still moves once through the mailbox
  };
  std::vector<Progress> work;
  for (const Task* t : tasks) work.push_back(Progress{t, t->count * type_size(t->type)});
  Shared* s = c.shared;
  for (;;) {
    uint32_t epoch = s->mail_epoch.load(std::memory_order_acquire);
    bool all_done = true, moved = false;
    std::set<std::pair<int, int>> busy;  // (is send, peer) with an earlier message still moving
    for (Progress& p : work) {
      const Task& t = *p.task;
      bool is_send = t.kind == Send;
      if (p.done == p.bytes && p.posted) continue;
      all_done = false;
      if (!busy.insert({is_send, t.root}).second) continue;
      const int box = is_send ? c.rank * c.ranks + t.root : t.root * c.ranks + c.rank;
      bool moved_now = false;
      if (is_send && s->mail_full[box].load(std::memory_order_acquire) == 0) {
        size_t k = std::min(kMailBytes, p.bytes - p.done);
        std::memcpy(c.mailbox(c.rank, t.root), t.send + p.done, k);
        s->mail_bytes[box] = k;
        s->mail_total[box] = p.bytes;
        s->mail_full[box].store(1, std::memory_order_release);
        p.done += k;
        p.posted = moved_now = true;
      } else if (!is_send && s->mail_full[box].load(std::memory_order_acquire) == 1) {
        if (s->mail_total[box] != p.bytes) {
          warn(ncclInvalidUsage, "communicator %s: rank %d receives %zu bytes from rank %d, which sends %llu", c.name.c_str(), c.rank, p.bytes,
               t.root, static_cast<unsigned long long>(s->mail_total[box]));
          c.break_with(ncclInvalidUsage);
          return ncclInvalidUsage;
        }
        size_t k = s->mail_bytes[box];
        std::memcpy(t.recv + p.done, c.mailbox(t.root, c.rank), k);
        p.done += k;
        s->mail_full[box].store(0, std::memory_order_release);
        p.posted = moved_now = true;
      }
      if (moved_now) {
        moved = true;
        s->mail_epoch.fetch_add(1, std::memory_order_release);
        futex_wake(&s->mail_epoch);
      }
    }
    if (all_done) return ncclSuccess;
    if (c.broken()) return c.failure();
    if (!moved) futex_wait(&s->mail_epoch, epoch, 10'000'000);
  }
}

// The state of every comm is checked when its work runs: a broken communicator skips its work.
void run_tasks(CommState& c, const std::vector<const Task*>& tasks) {
  std::lock_guard<std::mutex> lock(c.exec);
  std::vector<const Task*> p2p;
  for (const Task* t : tasks) {
    if (is_point_to_point(t->kind)) {
      p2p.push_back(t);
      continue;
    }
    if (!c.healthy() || run_collective(c, *t) != ncclSuccess) return;
  }
  if (!p2p.empty() && c.healthy()) run_point_to_point(c, p2p);
}

void finish(CommState& c) {
  std::lock_guard<std::mutex> lock(c.m);
  c.pending--;
  c.cv.notify_all();
}

// Launches a group's tasks: one piece of work per stream; tasks of several communicators on one
// stream run side by side (a group is one launch on a GPU, and ranks of one process must meet).
ncclResult_t launch(std::vector<Task> tasks) {
  std::map<std::pair<CommState*, int>, int> self_balance;
  for (const Task& t : tasks) {
    if (is_point_to_point(t.kind) && t.root == t.comm->rank) self_balance[{t.comm.get(), t.root}] += t.kind == Send ? 1 : -1;
  }
  for (auto& [key, balance] : self_balance) {
    if (balance != 0) {
      return warn(ncclInvalidUsage, "rank %d of %s: %s to itself without a matching %s in the same group", key.first->rank,
                  key.first->name.c_str(), balance > 0 ? "send" : "recv", balance > 0 ? "recv" : "send");
    }
  }
  std::vector<cudaStream_t> order;
  std::map<cudaStream_t, std::vector<Task>> by_stream;
  for (Task& t : tasks) {
    if (by_stream.count(t.stream) == 0) order.push_back(t.stream);
    by_stream[t.stream].push_back(std::move(t));
  }
  for (cudaStream_t stream : order) {
    auto list = std::make_shared<std::vector<Task>>(std::move(by_stream[stream]));
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    cudaStreamIsCapturing(stream, &capture);
    bool counted = capture == cudaStreamCaptureStatusNone;  // a captured op may run never or many times
    if (counted) {
      for (const Task& t : *list) {
        std::lock_guard<std::mutex> lock(t.comm->m);
        t.comm->pending++;
      }
    }
    cudaError_t e = ddp4j_emu::enqueue(stream, [list, counted] {
      std::vector<CommState*> comms;
      std::map<CommState*, std::vector<const Task*>> per_comm;
      for (const Task& t : *list) {
        if (per_comm.count(t.comm.get()) == 0) comms.push_back(t.comm.get());
        per_comm[t.comm.get()].push_back(&t);
      }
      if (comms.size() == 1) {
        run_tasks(*comms[0], per_comm[comms[0]]);
      } else {
        std::vector<std::thread> threads;
        for (CommState* c : comms) threads.emplace_back([c, &per_comm] { run_tasks(*c, per_comm[c]); });
        for (auto& th : threads) th.join();
      }
      if (counted)
        for (const Task& t : *list) finish(*t.comm);
    });
    if (e != cudaSuccess) {
      if (counted)
        for (const Task& t : *list) finish(*t.comm);
      return warn(ncclUnhandledCudaError, "enqueueing on stream %p failed: %s", static_cast<void*>(stream), cudaGetErrorString(e));
    }
  }
  return ncclSuccess;
}

// Checks one collective or point-to-point call and adds it to the group (an implicit group of one
// when none is open).
ncclResult_t submit(const char* call, Kind kind, const void* send, void* recv, size_t count, int type, int op, int root, ncclComm_t comm,
                    cudaStream_t stream) {
  auto c = lookup(comm);
  ncclResult_t r = ncclSuccess;
  if (!c) r = bad_comm(call, comm);
  else if (type < 0 || type >= ncclNumTypes) r = warn(ncclInvalidArgument, "%s: invalid data type %d", call, type);
  else if (is_reducing(kind) && (op < 0 || op >= ncclNumOps))
    r = warn(ncclInvalidArgument, "%s: invalid reduction operator %d", call, op);
  else if ((is_rooted(kind) || is_point_to_point(kind)) && (root < 0 || root >= c->ranks))
    r = warn(ncclInvalidArgument, "%s: %s %d is outside the %d ranks", call, is_point_to_point(kind) ? "peer" : "root", root, c->ranks);
  else if (c->async.load() == ncclInProgress) r = warn(ncclInvalidUsage, "%s: the communicator is still initialising", call);
  else if (c->async.load() != ncclSuccess) r = c->async.load();
  if (r == ncclSuccess) {
    const size_t es = type_size(type);
    const bool root_only_send = kind == Broadcast, root_only_recv = kind == Reduce;
    size_t send_count = kind == ReduceScatter ? count * c->ranks : count;
    size_t recv_count = kind == AllGather ? count * c->ranks : count;
    auto check = [&](const char* what, const void* p, size_t n) {
      if (r != ncclSuccess || n == 0) return;
      if (!ddp4j_emu::is_device_range(p, n * es)) {
        r = warn(ncclInvalidArgument, "%s: %s %p (%zu x %s) is not inside one device allocation", call, what, p, n, type_name(type));
      } else if (ddp4j_emu::device_of(p) != c->device) {
        r = warn(ncclInvalidArgument, "%s: %s is on device %d but the communicator is on device %d", call, what, ddp4j_emu::device_of(p), c->device);
      }
    };
    if (kind != Recv && (!root_only_send || c->rank == root)) check("sendbuff", send, send_count);
    if (kind != Send && (!root_only_recv || c->rank == root)) check("recvbuff", recv, recv_count);
  }
  if (r != ncclSuccess) {
    if (group.depth > 0) group.error = r;
    return r;
  }
  group.tasks.push_back(Task{kind, static_cast<const char*>(send), static_cast<char*>(recv), count, type, op, root, c, stream});
  if (group.depth > 0) return ncclSuccess;
  std::vector<Task> tasks = std::move(group.tasks);
  group.tasks.clear();
  return launch(std::move(tasks));
}

// ncclCommCount, ncclCommCuDevice and ncclCommUserRank: one field of a live communicator.
ncclResult_t query(const char* call, ncclComm_t comm, int* out, int CommState::*field) {
  auto c = lookup(comm);
  if (!c) return bad_comm(call, comm);
  if (out == nullptr) return warn(ncclInvalidArgument, "%s: the result pointer is NULL", call);
  *out = (*c).*field;
  return ncclSuccess;
}

ncclResult_t init_rank(ncclComm_t* out, int ranks, const ncclUniqueId& id, int rank, bool blocking, const char* name, int device) {
  if (out == nullptr) return warn(ncclInvalidArgument, "ncclCommInitRank: comm is NULL");
  if (ranks < 1 || ranks > kMaxRanks) return warn(ncclInvalidArgument, "ncclCommInitRank: %d ranks (the emulator takes 1 to %d)", ranks, kMaxRanks);
  if (rank < 0 || rank >= ranks) return warn(ncclInvalidArgument, "ncclCommInitRank: rank %d is outside 0..%d", rank, ranks - 1);
  if (std::memcmp(id.internal, kIdMagic, sizeof kIdMagic) != 0) {
    return warn(ncclInvalidArgument, "ncclCommInitRank: the unique id did not come from ncclGetUniqueId of this library");
  }
  int devices = 0;
  if (device < 0 && cudaGetDevice(&device) != cudaSuccess) return warn(ncclUnhandledCudaError, "ncclCommInitRank: cudaGetDevice failed");
  if (cudaGetDeviceCount(&devices) != cudaSuccess || device >= devices) {
    return warn(ncclInvalidArgument, "ncclCommInitRank: device %d does not exist (%d devices)", device, devices);
  }
  auto c = std::make_shared<CommState>();
  c->rank = rank;
  c->ranks = ranks;
  c->device = device;
  c->blocking = blocking;
  c->id = id;
  c->name = name != nullptr ? name : "nccl-" + id_hex(id).substr(0, 8);
  *out = register_comm(c);
  if (group.depth > 0) {
    join_in_background(c);
    group.inits.push_back(c);
    return ncclSuccess;
  }
  if (!blocking) {
    join_in_background(c);
    return ncclInProgress;
  }
  ncclResult_t r = join(*c);
  c->async.store(r);
  return r;
}

}  // namespace

// ------------------------------------------------------------------ the exported API

extern "C" {

#define DDP4J_NCCL_API __attribute__((visibility("default")))

DDP4J_NCCL_API ncclResult_t ncclGetVersion(int* version) {
  if (version == nullptr) return warn(ncclInvalidArgument, "ncclGetVersion: version is NULL");
  *version = kVersionCode;
  return ncclSuccess;
}

DDP4J_NCCL_API ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (id == nullptr) return warn(ncclInvalidArgument, "ncclGetUniqueId: id is NULL");
  std::memset(id, 0, sizeof *id);
  std::memcpy(id->internal, kIdMagic, sizeof kIdMagic);
  std::random_device random;
  for (int i = 8; i < 24; i += 4) {
    uint32_t v = random();
    std::memcpy(id->internal + i, &v, 4);
  }
  return ncclSuccess;
}

DDP4J_NCCL_API const char* ncclGetErrorString(ncclResult_t result) {
  switch (result) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error (emulated NCCL)";
    case ncclSystemError: return "unhandled system error (emulated NCCL)";
    case ncclInternalError: return "internal error (emulated NCCL)";
    case ncclInvalidArgument: return "invalid argument (emulated NCCL: see its last warning)";
    case ncclInvalidUsage: return "invalid usage (emulated NCCL: see its last warning)";
    case ncclRemoteError: return "remote process exited or there was a network error (emulated NCCL)";
    case ncclInProgress: return "NCCL operation in progress";
  }
  return "unknown result code";
}

DDP4J_NCCL_API const char* ncclGetLastError(ncclComm_t) {
  std::lock_guard<std::mutex> lock(warning_lock);
  return last_warning;
}

DDP4J_NCCL_API ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank) {
  return init_rank(comm, nranks, id, rank, true, nullptr, -1);
}

DDP4J_NCCL_API ncclResult_t ncclCommInitRankConfig(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank, ncclConfig_t* config) {
  bool blocking = true;
  const char* name = nullptr;
  if (config != nullptr) {
    if (config->magic != kConfigMagic || config->size < offsetof(ncclConfig_t, blocking) + sizeof(int)) {
      return warn(ncclInvalidArgument, "ncclCommInitRankConfig: the config was not initialised with NCCL_CONFIG_INITIALIZER");
    }
    if (config->blocking != 0 && config->blocking != 1 && config->blocking != kConfigUndefInt) {
      return warn(ncclInvalidArgument, "ncclCommInitRankConfig: blocking must be 0 or 1, got %d", config->blocking);
    }
    blocking = config->blocking != 0;
    if (config->size >= offsetof(ncclConfig_t, commName) + sizeof(char*)) name = config->commName;
  }
  return init_rank(comm, nranks, id, rank, blocking, name, -1);
}

DDP4J_NCCL_API ncclResult_t ncclCommAbort(ncclComm_t comm);

DDP4J_NCCL_API ncclResult_t ncclCommInitAll(ncclComm_t* comms, int ndev, const int* devlist) {
  if (comms == nullptr || ndev < 1) return warn(ncclInvalidArgument, "ncclCommInitAll: %d devices", ndev);
  ncclUniqueId id;
  ncclGetUniqueId(&id);
  int depth = group.depth;
  group.depth = 1;  // every rank joins at once, as inside a group
  ncclResult_t r = ncclSuccess;
  int made = 0;
  for (; made < ndev && r == ncclSuccess; made++) {
    comms[made] = nullptr;
    r = init_rank(&comms[made], ndev, id, made, true, nullptr, devlist == nullptr ? made : devlist[made]);
  }
  group.depth = depth;
  std::vector<std::shared_ptr<CommState>> inits = std::move(group.inits);
  group.inits.clear();
  for (auto& c : inits) {
    if (r != ncclSuccess) c->aborted.store(true);  // a device was refused: the others stop waiting for it
    if (!wait_while_in_progress(*c) && r == ncclSuccess) r = c->async.load();
  }
  if (r != ncclSuccess) {
    // nothing of a failed ncclCommInitAll survives, as in NCCL
    for (int i = 0; i < made; i++) {
      if (lookup(comms[i])) ncclCommAbort(comms[i]);
      comms[i] = nullptr;
    }
  }
  return r;
}

DDP4J_NCCL_API ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* error) {
  auto c = lookup(comm);
  if (!c) return bad_comm("ncclCommGetAsyncError", comm);
  if (error == nullptr) return warn(ncclInvalidArgument, "ncclCommGetAsyncError: asyncError is NULL");
  *error = c->async.load();
  return ncclSuccess;
}

DDP4J_NCCL_API ncclResult_t ncclCommCount(const ncclComm_t comm, int* count) {
  return query("ncclCommCount", comm, count, &CommState::ranks);
}

DDP4J_NCCL_API ncclResult_t ncclCommCuDevice(const ncclComm_t comm, int* device) {
  return query("ncclCommCuDevice", comm, device, &CommState::device);
}

DDP4J_NCCL_API ncclResult_t ncclCommUserRank(const ncclComm_t comm, int* rank) {
  return query("ncclCommUserRank", comm, rank, &CommState::rank);
}

DDP4J_NCCL_API ncclResult_t ncclCommFinalize(ncclComm_t comm) {
  auto c = lookup(comm);
  if (!c) return bad_comm("ncclCommFinalize", comm);
  int state = c->async.load();
  if (state == ncclInProgress) return warn(ncclInvalidUsage, "ncclCommFinalize: the communicator is still initialising or finalising");
  if (state != ncclSuccess) return state;
  auto drained = [c] {
    std::unique_lock<std::mutex> lock(c->m);
    c->cv.wait(lock, [&] { return c->pending == 0; });
  };
  if (c->blocking) {
    drained();
    return ncclSuccess;
  }
  c->async.store(ncclInProgress);
  std::thread([c, drained] {
    drained();
    int expected = ncclInProgress;
    c->async.compare_exchange_strong(expected, ncclSuccess);
  }).detach();
  return ncclInProgress;
}

DDP4J_NCCL_API ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  auto c = lookup(comm);
  if (!c) return bad_comm("ncclCommDestroy", comm);
  int state = c->async.load();
  if (state == ncclInProgress) {
    return warn(ncclInvalidUsage, "ncclCommDestroy: the communicator is still initialising or finalising; abort it instead");
  }
  if (state == ncclSuccess) {
    std::unique_lock<std::mutex> lock(c->m);
    c->cv.wait(lock, [&] { return c->pending == 0; });
  }
  unregister(comm);
  return state;
}

DDP4J_NCCL_API ncclResult_t ncclCommAbort(ncclComm_t comm) {
  if (comm == nullptr) return ncclSuccess;
  auto c = lookup(comm);
  if (!c) return bad_comm("ncclCommAbort", comm);
  c->aborted.store(true);
  c->break_with(ncclInvalidUsage);
  unregister(comm);
  return ncclSuccess;
}

DDP4J_NCCL_API ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, int datatype, int op, ncclComm_t comm,
                                          cudaStream_t stream) {
  return submit("ncclAllReduce", AllReduce, sendbuff, recvbuff, count, datatype, op, 0, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclBroadcast(const void* sendbuff, void* recvbuff, size_t count, int datatype, int root, ncclComm_t comm,
                                          cudaStream_t stream) {
  return submit("ncclBroadcast", Broadcast, sendbuff, recvbuff, count, datatype, ncclSum, root, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclReduce(const void* sendbuff, void* recvbuff, size_t count, int datatype, int op, int root, ncclComm_t comm,
                                       cudaStream_t stream) {
  return submit("ncclReduce", Reduce, sendbuff, recvbuff, count, datatype, op, root, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, int datatype, ncclComm_t comm,
                                          cudaStream_t stream) {
  return submit("ncclAllGather", AllGather, sendbuff, recvbuff, sendcount, datatype, ncclSum, 0, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount, int datatype, int op, ncclComm_t comm,
                                              cudaStream_t stream) {
  return submit("ncclReduceScatter", ReduceScatter, sendbuff, recvbuff, recvcount, datatype, op, 0, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclSend(const void* sendbuff, size_t count, int datatype, int peer, ncclComm_t comm, cudaStream_t stream) {
  return submit("ncclSend", Send, sendbuff, nullptr, count, datatype, ncclSum, peer, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclRecv(void* recvbuff, size_t count, int datatype, int peer, ncclComm_t comm, cudaStream_t stream) {
  return submit("ncclRecv", Recv, nullptr, recvbuff, count, datatype, ncclSum, peer, comm, stream);
}

DDP4J_NCCL_API ncclResult_t ncclGroupStart() {
  group.depth++;
  return ncclSuccess;
}

DDP4J_NCCL_API ncclResult_t ncclGroupEnd() {
  if (group.depth == 0) return warn(ncclInvalidUsage, "ncclGroupEnd without ncclGroupStart");
  if (--group.depth > 0) return ncclSuccess;
  std::vector<Task> tasks = std::move(group.tasks);
  std::vector<std::shared_ptr<CommState>> inits = std::move(group.inits);
  ncclResult_t error = group.error;
  group.tasks.clear();
  group.inits.clear();
  group.error = ncclSuccess;
  if (error != ncclSuccess) return error;  // a call inside the group failed: nothing of it runs
  bool any_blocking = false;
  for (auto& c : inits) any_blocking |= c->blocking;
  if (!inits.empty()) {
    if (!any_blocking) return tasks.empty() ? ncclInProgress : warn(ncclInvalidUsage, "a group that initialises a communicator cannot also run work on it");
    ncclResult_t r = ncclSuccess;
    for (auto& c : inits)
      if (!wait_while_in_progress(*c) && r == ncclSuccess) r = c->async.load();
    if (r != ncclSuccess) return r;
  }
  return tasks.empty() ? ncclSuccess : launch(std::move(tasks));
}

}  // extern "C"
