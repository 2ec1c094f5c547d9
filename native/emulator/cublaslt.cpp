// The cuBLASLt subset ddp4j binds (io.ddp4j.bindings.cublas.CublasLt), emulated on the host as
// libcublasLt.so.13 beside the emulated runtime: handles, matmul descriptors, matrix layouts and
// preferences with their attributes (set and read back by address and size, sizes checked as
// cuBLASLt checks them), the algorithm heuristic and cublasLtMatmul with its epilogues (bias,
// ReLU, GELU, their aux outputs and gradients, BGRADA/BGRADB). The arithmetic is in
// cublaslt_matmul.cpp.
//
// Strict where cuBLASLt is, and where a GPU would fail later or silently:
//  - the descriptors must describe one matmul (op(A) m x k, op(B) k x n, C and D m x n, one
//    batch count, leading dimensions that keep elements apart): INVALID_VALUE otherwise, with
//    the reason on stderr; types and options it does not run are NOT_SUPPORTED;
//  - the heuristic offers two algorithms: one that sums through the workspace (when the
//    preference allows enough of it) and one that needs none. An algorithm is chosen for the
//    alignments the preference promises (and, for the bias and aux pointers, the alignment of
//    the values in the descriptor at that time, as cuBLASLt judges them), up to 16 bytes;
//    cublasLtMatmul refuses pointers aligned less than its algorithm needs, a workspace smaller
//    than it needs, or one not 256-byte aligned;
//  - every operand, the bias vector, the aux matrix and the used workspace must lie inside device
//    memory; the product is enqueued on the given stream and beta = 0 never reads C.
// Sums run over k in ascending order in the compute type: float for the 32F compute types (the
// FAST_* ones included: TF32 and the 16-bit fast modes are computed in full fp32), double for 64F.
// cublasLt.h is not on this machine, so its types are declared here; the values are those of
// io.ddp4j.bindings.cublas.CublasLt and cuBLASLt's documentation.
#include "blas_types.h"
#include "cublaslt_matmul.h"
#include "emulator.h"
#include "live_objects.h"

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

using namespace ddp4j_blas;
using ddp4j_lt::Matmul;
using ddp4j_lt::Matrix;

namespace {

constexpr size_t kVersion = 130100;  // as the emulated cuBLAS: 13.1.0
constexpr int kOpN = 0;
constexpr int kOrderCol = 0, kOrderRow = 1;
constexpr int kPointerHost = 0, kPointerDevice = 1;
constexpr uint32_t kReductionComputeType = 2;  // cublasLtReductionScheme_t of the algorithm with workspace
constexpr int kEmulatedSms = 4;  // the emulated device's multiProcessorCount, for wavesCount

// ------------------------------------------------------------------ the API's objects

// cublasLtHandle_t: nothing in it matters to the emulator but that it is live.
struct LtContext {
  int unused;
};

// cublasLtMatmulDesc_t's attributes (the C type of each as cublasLt.h declares it)
struct Desc {
  int32_t compute;
  int32_t scale;
  int32_t pointer_mode = kPointerHost;
  int32_t transa = kOpN, transb = kOpN, transc = kOpN;
  uint32_t epilogue = ddp4j_lt::DEFAULT;
  void* bias = nullptr;
  int64_t bias_batch_stride = 0;
  void* aux = nullptr;
  int64_t aux_ld = 0, aux_batch_stride = 0;
  int32_t sm_count_target = 0;
  int32_t aux_type = -1, bias_type = -1;  // -1: D's type
};

struct Layout {
  uint32_t type;
  int32_t order = kOrderCol;
  uint64_t rows, cols;
  int64_t ld;
  int32_t batch = 1;
  int64_t stride = 0;  // elements between the batch's matrices
};

struct Preference {
  uint32_t search_mode = 0;
  uint64_t max_workspace = 0;
  uint32_t reduction_mask = 7;
  uint32_t align_a = 256, align_b = 256, align_c = 256, align_d = 256;
  float max_waves = 0;
  uint64_t impl_mask = ~0ull;
};

// cublasLtMatmulAlgo_t (64 opaque bytes) as the emulator fills it.
struct Algo {
  uint64_t magic;
  uint32_t variant;
  uint32_t unused;
  uint8_t align[6];  // the alignment in bytes it was chosen for: A, B, C, D, bias, aux
};
enum Variant : uint32_t { kDirect = 1, kThroughWorkspace = 2 };
enum Operand { kA, kB, kC, kD, kBias, kAux };
constexpr uint64_t kAlgoMagic = 0x64647034'4c74456dull;
static_assert(sizeof(Algo) <= 64, "cublasLtMatmulAlgo_t is 64 bytes");

// cublasLtMatmulHeuristicResult_t (LtHeuristicResult.LAYOUT)
struct HeuristicResult {
  uint64_t algo[8];
  size_t workspaceSize;
  int state;
  float wavesCount;
  int reserved[4];
};
static_assert(sizeof(HeuristicResult) == 96 && offsetof(HeuristicResult, state) == 72, "cublasLtMatmulHeuristicResult_t");

// ------------------------------------------------------------------ live objects

// Every object handed out, so a destroyed or foreign one is refused instead of read after free.
enum class Kind { Handle, Desc, Layout, Preference };

template <class T>
T* remember(T* object, Kind kind) {
  return ddp4j_emu::live_objects<Kind>().remember(object, kind);
}

template <class T>
T* live(const void* p, Kind kind) {
  return ddp4j_emu::live_objects<Kind>().find<T>(p, kind);
}

bool forget(const void* p, Kind kind) { return ddp4j_emu::live_objects<Kind>().forget(p, kind); }

// Returns `status` after saying why on stderr.
int refuse(int status, const char* api, const char* format, ...) {
  char why[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(why, sizeof why, format, args);
  va_end(args);
  std::fprintf(stderr, "[ddp4j CUDA emulator] %s: %s (%s)\n", api, why, status_name(status));
  std::fflush(stderr);
  return status;
}

// ------------------------------------------------------------------ attributes

// One attribute of an object: where its value lives and its size, which callers must pass exactly.
struct Field {
  int attr;
  size_t offset;
  size_t size;
};
#define DDP4J_FIELD(attr, Type, member) Field{attr, offsetof(Type, member), sizeof(Type::member)}

const Field kDescFields[] = {
    DDP4J_FIELD(0, Desc, compute),   DDP4J_FIELD(1, Desc, scale),           DDP4J_FIELD(2, Desc, pointer_mode),
    DDP4J_FIELD(3, Desc, transa),    DDP4J_FIELD(4, Desc, transb),          DDP4J_FIELD(5, Desc, transc),
    DDP4J_FIELD(7, Desc, epilogue),  DDP4J_FIELD(8, Desc, bias),            DDP4J_FIELD(10, Desc, bias_batch_stride),
    DDP4J_FIELD(11, Desc, aux),      DDP4J_FIELD(12, Desc, aux_ld),         DDP4J_FIELD(13, Desc, aux_batch_stride),
    DDP4J_FIELD(15, Desc, sm_count_target), DDP4J_FIELD(22, Desc, aux_type), DDP4J_FIELD(26, Desc, bias_type),
};
const Field kLayoutFields[] = {
    DDP4J_FIELD(0, Layout, type), DDP4J_FIELD(1, Layout, order), DDP4J_FIELD(2, Layout, rows),   DDP4J_FIELD(3, Layout, cols),
    DDP4J_FIELD(4, Layout, ld),   DDP4J_FIELD(5, Layout, batch), DDP4J_FIELD(6, Layout, stride),
};
const Field kPreferenceFields[] = {
    DDP4J_FIELD(0, Preference, search_mode), DDP4J_FIELD(1, Preference, max_workspace), DDP4J_FIELD(3, Preference, reduction_mask),
    DDP4J_FIELD(5, Preference, align_a),     DDP4J_FIELD(6, Preference, align_b),       DDP4J_FIELD(7, Preference, align_c),
    DDP4J_FIELD(8, Preference, align_d),     DDP4J_FIELD(9, Preference, max_waves),     DDP4J_FIELD(12, Preference, impl_mask),
};
#undef DDP4J_FIELD

template <size_t N>
const Field* field(const Field (&table)[N], int attr) {
  for (const Field& f : table)
    if (f.attr == attr) return &f;
  return nullptr;
}

template <size_t N>
int set_attribute(void* object, const Field (&table)[N], int attr, const void* buf, size_t size, const char* api) {
  const Field* f = field(table, attr);
  if (f == nullptr) return refuse(NOT_SUPPORTED, api, "attribute %d is not emulated", attr);
  if (buf == nullptr) return refuse(INVALID_VALUE, api, "attribute %d: buf is NULL", attr);
  if (size != f->size) return refuse(INVALID_VALUE, api, "attribute %d takes %zu bytes, got %zu", attr, f->size, size);
  std::memcpy(static_cast<char*>(object) + f->offset, buf, size);
  return SUCCESS;
}

// sizeInBytes 0 asks for the size (into sizeWritten); otherwise it must be the attribute's size.
template <size_t N>
int get_attribute(const void* object, const Field (&table)[N], int attr, void* buf, size_t size, size_t* written, const char* api) {
  const Field* f = field(table, attr);
  if (f == nullptr) return refuse(NOT_SUPPORTED, api, "attribute %d is not emulated", attr);
  if (size == 0) {
    if (written == nullptr) return refuse(INVALID_VALUE, api, "attribute %d: sizeInBytes is 0 and sizeWritten is NULL", attr);
    *written = f->size;
    return SUCCESS;
  }
  if (buf == nullptr) return refuse(INVALID_VALUE, api, "attribute %d: buf is NULL", attr);
  if (size != f->size) return refuse(INVALID_VALUE, api, "attribute %d has %zu bytes, sizeInBytes is %zu", attr, f->size, size);
  std::memcpy(buf, static_cast<const char*>(object) + f->offset, size);
  if (written != nullptr) *written = size;
  return SUCCESS;
}

// ------------------------------------------------------------------ one matmul

// The elements from the first to one past the last that one matrix of the layout spans.
int64_t extent(const Matrix& x) {
  if (x.rows == 0 || x.cols == 0) return 0;
  return x.row_major ? (x.rows - 1) * x.ld + x.cols : (x.cols - 1) * x.ld + x.rows;
}

int check_layout(const Layout& l, const char* name, const char* api) {
  if (element_size(static_cast<int>(l.type)) == 0) return refuse(NOT_SUPPORTED, api, "matrix %s: cudaDataType %u is not emulated", name, l.type);
  if (l.order != kOrderCol && l.order != kOrderRow)
    return refuse(NOT_SUPPORTED, api, "matrix %s: order %d is not emulated (only CUBLASLT_ORDER_COL and _ROW)", name, l.order);
  if (l.rows > INT32_MAX || l.cols > INT32_MAX) return refuse(NOT_SUPPORTED, api, "matrix %s: %llu x %llu is beyond int32", name,
                                                              static_cast<unsigned long long>(l.rows), static_cast<unsigned long long>(l.cols));
  uint64_t inner = l.order == kOrderCol ? l.rows : l.cols;
  if (l.ld < 0 || static_cast<uint64_t>(l.ld) < (inner > 1 ? inner : 1))
    return refuse(INVALID_VALUE, api, "matrix %s: ld %lld is below its %s (%llu), so elements would overlap", name, static_cast<long long>(l.ld),
                  l.order == kOrderCol ? "rows" : "columns", static_cast<unsigned long long>(inner));
  if (l.batch < 1) return refuse(INVALID_VALUE, api, "matrix %s: batch count %d", name, l.batch);
  if (l.stride < 0) return refuse(INVALID_VALUE, api, "matrix %s: negative batch stride %lld", name, static_cast<long long>(l.stride));
  return SUCCESS;
}

Matrix matrix(const Layout& l) {
  return Matrix{nullptr, static_cast<int>(l.type), l.order == kOrderRow, static_cast<int64_t>(l.rows), static_cast<int64_t>(l.cols), l.ld, l.stride};
}

// Checks that the descriptors describe one matmul the emulator runs and fills everything of `mm`
// but the pointers and scalars.
int resolve(const Desc& op, const Layout& A, const Layout& B, const Layout& C, const Layout& D, Matmul* mm, const char* api) {
  int s;
  if ((s = check_layout(A, "A", api)) != SUCCESS || (s = check_layout(B, "B", api)) != SUCCESS || (s = check_layout(C, "C", api)) != SUCCESS
      || (s = check_layout(D, "D", api)) != SUCCESS)
    return s;
  if (op.transa < 0 || op.transa > 2 || op.transb < 0 || op.transb > 2) return refuse(INVALID_VALUE, api, "transa %d, transb %d", op.transa, op.transb);
  if (op.transc != kOpN) return refuse(NOT_SUPPORTED, api, "transc must be CUBLAS_OP_N");
  *mm = Matmul{};
  mm->transa = op.transa != kOpN;  // CUBLAS_OP_C is CUBLAS_OP_T for real types
  mm->transb = op.transb != kOpN;
  mm->a = matrix(A), mm->b = matrix(B), mm->c = matrix(C), mm->d = matrix(D);
  mm->m = mm->d.rows, mm->n = mm->d.cols;
  int64_t opa_rows = mm->transa ? mm->a.cols : mm->a.rows, opa_cols = mm->transa ? mm->a.rows : mm->a.cols;
  int64_t opb_rows = mm->transb ? mm->b.cols : mm->b.rows, opb_cols = mm->transb ? mm->b.rows : mm->b.cols;
  mm->k = opa_cols;
  if (opa_rows != mm->m || opb_rows != mm->k || opb_cols != mm->n || mm->c.rows != mm->m || mm->c.cols != mm->n)
    return refuse(INVALID_VALUE, api, "shapes disagree: op(A) %lld x %lld, op(B) %lld x %lld, C %lld x %lld, D %lld x %lld",
                  static_cast<long long>(opa_rows), static_cast<long long>(opa_cols), static_cast<long long>(opb_rows),
                  static_cast<long long>(opb_cols), static_cast<long long>(mm->c.rows), static_cast<long long>(mm->c.cols),
                  static_cast<long long>(mm->m), static_cast<long long>(mm->n));
  if (A.batch != D.batch || B.batch != D.batch || C.batch != D.batch)
    return refuse(INVALID_VALUE, api, "batch counts disagree: A %d, B %d, C %d, D %d", A.batch, B.batch, C.batch, D.batch);
  mm->batch = D.batch;
  if (mm->batch > 1 && D.stride < extent(mm->d))
    return refuse(INVALID_VALUE, api, "D's batch stride %lld is below the %lld elements one matrix spans: the batch's results would overlap",
                  static_cast<long long>(D.stride), static_cast<long long>(extent(mm->d)));
  if (C.order != D.order) return refuse(INVALID_VALUE, api, "C and D have different orders");
  if (A.type != B.type || C.type != D.type || !supported(op.compute, static_cast<int>(A.type), static_cast<int>(D.type)))
    return refuse(NOT_SUPPORTED, api, "compute type %d with A %u, B %u, C %u, D %u", op.compute, A.type, B.type, C.type, D.type);
  mm->wide = computes_in_double(op.compute);
  if (op.scale != (mm->wide ? CUDA_R_64F : CUDA_R_32F)) return refuse(NOT_SUPPORTED, api, "scale type %d with compute type %d", op.scale, op.compute);
  if (op.pointer_mode != kPointerHost && op.pointer_mode != kPointerDevice)
    return refuse(NOT_SUPPORTED, api, "pointer mode %d is not emulated (host and device scalars only)", op.pointer_mode);
  mm->device_scalars = op.pointer_mode == kPointerDevice;

  uint32_t e = op.epilogue;
  if (!ddp4j_lt::known_epilogue(e)) return refuse(INVALID_VALUE, api, "%u is not a cublasLtEpilogue_t", e);
  mm->epilogue = e;
  if (ddp4j_lt::bias_length(e, mm->m, mm->n) > 0) {
    mm->bias_type = op.bias_type == -1 ? mm->d.type : op.bias_type;
    if (mm->bias_type != mm->d.type && mm->bias_type != CUDA_R_32F)
      return refuse(NOT_SUPPORTED, api, "bias type %d with D of type %d", mm->bias_type, mm->d.type);
    bool written = (e & ddp4j_lt::BIAS) == 0;  // a gradient, not a bias to add
    if (written && mm->batch > 1 && op.bias_batch_stride < ddp4j_lt::bias_length(e, mm->m, mm->n))
      return refuse(INVALID_VALUE, api, "the bias gradients of the batch would overlap (bias batch stride %lld)",
                    static_cast<long long>(op.bias_batch_stride));
    mm->bias_stride = op.bias_batch_stride;
  }
  if ((e & ddp4j_lt::AUX) != 0) {
    bool mask = ddp4j_lt::aux_is_relu_mask(e);
    int64_t multiple = mask ? 128 : 8;
    if (op.aux_ld < mm->m || op.aux_ld % multiple != 0)
      return refuse(INVALID_VALUE, api, "epilogue %u: aux ld %lld must be at least m = %lld and a multiple of %lld", e,
                    static_cast<long long>(op.aux_ld), static_cast<long long>(mm->m), static_cast<long long>(multiple));
    bool written = (e & (ddp4j_lt::RELU | ddp4j_lt::GELU)) != 0;  // the forward pass stores it
    if (mm->batch > 1 && (op.aux_batch_stride % multiple != 0 || (written && op.aux_batch_stride < op.aux_ld * mm->n)))
      return refuse(INVALID_VALUE, api, "epilogue %u: aux batch stride %lld must be a multiple of %lld and keep the batch apart", e,
                    static_cast<long long>(op.aux_batch_stride), static_cast<long long>(multiple));
    mm->aux_type = op.aux_type == -1 ? mm->d.type : op.aux_type;
    if (!mask && mm->aux_type != mm->d.type) return refuse(NOT_SUPPORTED, api, "aux type %d with D of type %d", mm->aux_type, mm->d.type);
    mm->aux_ld = op.aux_ld;
    mm->aux_stride = op.aux_batch_stride;
  }
  return SUCCESS;
}

// The largest power of two dividing x, at most 16 (the widest access the alignment matters for);
// 16 for 0 (a null pointer promises nothing less).
uint32_t alignment_of(uint64_t x) {
  if (x == 0) return 16;
  uint64_t p = x & (~x + 1);
  return p > 16 ? 16 : static_cast<uint32_t>(p);
}

// What an algorithm chosen for a matrix promised `promised`-byte aligned can rely on: the
// promise, and where each column (row) and batch starts, to at most 16 bytes.
uint32_t usable_alignment(uint32_t promised, const Matrix& x, int batch) {
  size_t es = element_size(x.type);
  uint32_t a = alignment_of(promised);
  if (alignment_of(static_cast<uint64_t>(x.ld) * es) < a) a = alignment_of(static_cast<uint64_t>(x.ld) * es);
  if (batch > 1 && x.stride != 0 && alignment_of(static_cast<uint64_t>(x.stride) * es) < a) a = alignment_of(static_cast<uint64_t>(x.stride) * es);
  return a;
}

// Bytes of the aux matrix the epilogue touches.
size_t aux_bytes(const Matmul& mm) {
  int64_t span = (mm.batch - 1) * mm.aux_stride + (mm.n - 1) * mm.aux_ld + mm.m;
  return ddp4j_lt::aux_is_relu_mask(mm.epilogue) ? static_cast<size_t>((span + 7) / 8) : static_cast<size_t>(span) * element_size(mm.aux_type);
}

bool in_device(const char* what, const void* p, size_t bytes, const char* api) {
  if (bytes == 0 || ddp4j_emu::is_device_range(p, bytes)) return true;
  char at[32];
  std::snprintf(at, sizeof at, "%p", p);
  ddp4j_emu::fail(cudaErrorIllegalAddress, std::string(api) + ": " + what + " (" + std::to_string(bytes) + " bytes at " + at
                                               + ") is not inside one device allocation");
  return false;
}

size_t matrix_bytes(const Matrix& x, int batch) {
  int64_t span = extent(x);
  if (span == 0) return 0;
  return static_cast<size_t>((batch - 1) * x.stride + span) * element_size(x.type);
}

const char* const kOperandNames[] = {"A", "B", "C", "D", "the bias vector", "the aux matrix"};

}  // namespace

// ==================================================================== the API

extern "C" {

int cublasLtCreate(LtContext** handle) {
  if (handle == nullptr) return INVALID_VALUE;
  *handle = remember(new LtContext(), Kind::Handle);
  return SUCCESS;
}

int cublasLtDestroy(LtContext* handle) {
  if (handle == nullptr) return INVALID_VALUE;
  if (!forget(handle, Kind::Handle)) return refuse(NOT_INITIALIZED, "cublasLtDestroy", "%p is not a live cuBLASLt handle", static_cast<void*>(handle));
  delete handle;
  return SUCCESS;
}

size_t cublasLtGetVersion(void) { return kVersion; }

int cublasLtGetProperty(int type, int* value) {
  if (value == nullptr) return INVALID_VALUE;
  switch (type) {
    case 0: *value = static_cast<int>(kVersion / 10000); return SUCCESS;       // MAJOR_VERSION
    case 1: *value = static_cast<int>(kVersion / 100 % 100); return SUCCESS;   // MINOR_VERSION
    case 2: *value = static_cast<int>(kVersion % 100); return SUCCESS;         // PATCH_LEVEL
    default: return INVALID_VALUE;
  }
}

const char* cublasLtGetStatusName(int status) { return status_name(status); }

const char* cublasLtGetStatusString(int status) { return status_string(status); }

// ---- matmul descriptor

int cublasLtMatmulDescCreate(Desc** desc, int compute, int scale) {
  if (desc == nullptr) return INVALID_VALUE;
  Desc* d = new Desc();
  d->compute = compute;
  d->scale = scale;
  *desc = remember(d, Kind::Desc);
  return SUCCESS;
}

int cublasLtMatmulDescDestroy(Desc* desc) {
  if (desc == nullptr) return SUCCESS;
  if (!forget(desc, Kind::Desc)) return refuse(INVALID_VALUE, "cublasLtMatmulDescDestroy", "%p is not a live descriptor", static_cast<void*>(desc));
  delete desc;
  return SUCCESS;
}

int cublasLtMatmulDescSetAttribute(Desc* desc, int attr, const void* buf, size_t size) {
  const char* api = "cublasLtMatmulDescSetAttribute";
  Desc* d = live<Desc>(desc, Kind::Desc);
  if (d == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live matmul descriptor", static_cast<void*>(desc));
  return set_attribute(d, kDescFields, attr, buf, size, api);
}

int cublasLtMatmulDescGetAttribute(Desc* desc, int attr, void* buf, size_t size, size_t* written) {
  const char* api = "cublasLtMatmulDescGetAttribute";
  Desc* d = live<Desc>(desc, Kind::Desc);
  if (d == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live matmul descriptor", static_cast<void*>(desc));
  return get_attribute(d, kDescFields, attr, buf, size, written, api);
}

// ---- matrix layout

int cublasLtMatrixLayoutCreate(Layout** layout, uint32_t type, uint64_t rows, uint64_t cols, int64_t ld) {
  if (layout == nullptr) return INVALID_VALUE;
  Layout* l = new Layout();
  l->type = type;
  l->rows = rows;
  l->cols = cols;
  l->ld = ld;
  *layout = remember(l, Kind::Layout);
  return SUCCESS;
}

int cublasLtMatrixLayoutDestroy(Layout* layout) {
  if (layout == nullptr) return SUCCESS;
  if (!forget(layout, Kind::Layout)) return refuse(INVALID_VALUE, "cublasLtMatrixLayoutDestroy", "%p is not a live layout", static_cast<void*>(layout));
  delete layout;
  return SUCCESS;
}

int cublasLtMatrixLayoutSetAttribute(Layout* layout, int attr, const void* buf, size_t size) {
  const char* api = "cublasLtMatrixLayoutSetAttribute";
  Layout* l = live<Layout>(layout, Kind::Layout);
  if (l == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live matrix layout", static_cast<void*>(layout));
  return set_attribute(l, kLayoutFields, attr, buf, size, api);
}

int cublasLtMatrixLayoutGetAttribute(Layout* layout, int attr, void* buf, size_t size, size_t* written) {
  const char* api = "cublasLtMatrixLayoutGetAttribute";
  Layout* l = live<Layout>(layout, Kind::Layout);
  if (l == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live matrix layout", static_cast<void*>(layout));
  return get_attribute(l, kLayoutFields, attr, buf, size, written, api);
}

// ---- heuristic preference

int cublasLtMatmulPreferenceCreate(Preference** pref) {
  if (pref == nullptr) return INVALID_VALUE;
  *pref = remember(new Preference(), Kind::Preference);
  return SUCCESS;
}

int cublasLtMatmulPreferenceDestroy(Preference* pref) {
  if (pref == nullptr) return SUCCESS;
  if (!forget(pref, Kind::Preference)) return refuse(INVALID_VALUE, "cublasLtMatmulPreferenceDestroy", "%p is not a live preference", static_cast<void*>(pref));
  delete pref;
  return SUCCESS;
}

int cublasLtMatmulPreferenceSetAttribute(Preference* pref, int attr, const void* buf, size_t size) {
  const char* api = "cublasLtMatmulPreferenceSetAttribute";
  Preference* p = live<Preference>(pref, Kind::Preference);
  if (p == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live preference", static_cast<void*>(pref));
  return set_attribute(p, kPreferenceFields, attr, buf, size, api);
}

int cublasLtMatmulPreferenceGetAttribute(Preference* pref, int attr, void* buf, size_t size, size_t* written) {
  const char* api = "cublasLtMatmulPreferenceGetAttribute";
  Preference* p = live<Preference>(pref, Kind::Preference);
  if (p == nullptr) return refuse(INVALID_VALUE, api, "%p is not a live preference", static_cast<void*>(pref));
  return get_attribute(p, kPreferenceFields, attr, buf, size, written, api);
}

// ---- algorithm choice

int cublasLtMatmulAlgoGetHeuristic(LtContext* handle, Desc* opDesc, Layout* Adesc, Layout* Bdesc, Layout* Cdesc, Layout* Ddesc,
                                   Preference* pref, int requested, HeuristicResult* results, int* returned) {
  const char* api = "cublasLtMatmulAlgoGetHeuristic";
  if (live<LtContext>(handle, Kind::Handle) == nullptr) return refuse(NOT_INITIALIZED, api, "%p is not a live cuBLASLt handle", static_cast<void*>(handle));
  Desc* op = live<Desc>(opDesc, Kind::Desc);
  Layout *A = live<Layout>(Adesc, Kind::Layout), *B = live<Layout>(Bdesc, Kind::Layout), *C = live<Layout>(Cdesc, Kind::Layout),
         *D = live<Layout>(Ddesc, Kind::Layout);
  Preference* p = live<Preference>(pref, Kind::Preference);
  if (op == nullptr || A == nullptr || B == nullptr || C == nullptr || D == nullptr || p == nullptr)
    return refuse(INVALID_VALUE, api, "a descriptor, layout or preference is NULL or not live");
  if (requested <= 0) return refuse(INVALID_VALUE, api, "requestedAlgoCount %d", requested);
  if (results == nullptr || returned == nullptr) return refuse(INVALID_VALUE, api, "heuristicResultsArray or returnAlgoCount is NULL");
  *returned = 0;
  Matmul mm;
  int s = resolve(*op, *A, *B, *C, *D, &mm, api);
  if (s != SUCCESS) return s;

  Algo algo{};
  algo.magic = kAlgoMagic;
  const uint32_t promised[4] = {p->align_a, p->align_b, p->align_c, p->align_d};
  const Matrix* operands[4] = {&mm.a, &mm.b, &mm.c, &mm.d};
  for (int i = 0; i < 4; i++) {
    if (promised[i] < element_size(operands[i]->type))
      return refuse(NOT_SUPPORTED, api, "no algorithm works with %s aligned to %u bytes, less than one element", kOperandNames[i], promised[i]);
    algo.align[i] = static_cast<uint8_t>(usable_alignment(promised[i], *operands[i], mm.batch));
  }
  // the epilogue's pointers are not read here, but their values say how they are aligned
  algo.align[kBias] = static_cast<uint8_t>(alignment_of(reinterpret_cast<uintptr_t>(op->bias)));
  algo.align[kAux] = static_cast<uint8_t>(alignment_of(reinterpret_cast<uintptr_t>(op->aux)));

  int64_t tiles = ((mm.m + 63) / 64) * ((mm.n + 63) / 64) * mm.batch;
  float waves = static_cast<float>(tiles) / kEmulatedSms;
  if (p->max_waves > 0 && waves > p->max_waves)
    return refuse(NOT_SUPPORTED, api, "every algorithm fills %.2f waves, above the preference's %.2f", waves, p->max_waves);
  struct Candidate {
    Variant variant;
    size_t workspace;
  };
  Candidate candidates[2];
  int count = 0;
  size_t accumulator = ddp4j_lt::accumulator_bytes(mm);
  if (accumulator <= p->max_workspace && (p->reduction_mask & kReductionComputeType) != 0) candidates[count++] = {kThroughWorkspace, accumulator};
  candidates[count++] = {kDirect, 0};
  for (int i = 0; i < count && i < requested; i++) {
    HeuristicResult& r = results[i];
    std::memset(&r, 0, sizeof r);
    algo.variant = candidates[i].variant;
    std::memcpy(r.algo, &algo, sizeof algo);
    r.workspaceSize = candidates[i].workspace;
    r.state = SUCCESS;
    r.wavesCount = waves;
    *returned = i + 1;
  }
  return SUCCESS;
}

// ---- the matmul

int cublasLtMatmul(LtContext* handle, Desc* computeDesc, const void* alpha, const void* A, Layout* Adesc, const void* B, Layout* Bdesc,
                   const void* beta, const void* C, Layout* Cdesc, void* D, Layout* Ddesc, const Algo* algo, void* workspace,
                   size_t workspaceBytes, cudaStream_t stream) {
  const char* api = "cublasLtMatmul";
  if (live<LtContext>(handle, Kind::Handle) == nullptr) return refuse(NOT_INITIALIZED, api, "%p is not a live cuBLASLt handle", static_cast<void*>(handle));
  Desc* op = live<Desc>(computeDesc, Kind::Desc);
  Layout *la = live<Layout>(Adesc, Kind::Layout), *lb = live<Layout>(Bdesc, Kind::Layout), *lc = live<Layout>(Cdesc, Kind::Layout),
         *ld = live<Layout>(Ddesc, Kind::Layout);
  if (op == nullptr || la == nullptr || lb == nullptr || lc == nullptr || ld == nullptr)
    return refuse(INVALID_VALUE, api, "the descriptor or a layout is NULL or not live");
  if (alpha == nullptr || beta == nullptr) return refuse(INVALID_VALUE, api, "alpha or beta is NULL");
  Matmul mm;
  int s = resolve(*op, *la, *lb, *lc, *ld, &mm, api);
  if (s != SUCCESS) return s;

  Algo chosen{};
  chosen.variant = kDirect;  // no algo: the implicit heuristic, with no workspace, sees the real pointers
  if (algo != nullptr) {
    std::memcpy(&chosen, algo, sizeof chosen);
    if (chosen.magic != kAlgoMagic || (chosen.variant != kDirect && chosen.variant != kThroughWorkspace))
      return refuse(INVALID_VALUE, api, "algo %p is not a cublasLtMatmulAlgo_t from cublasLtMatmulAlgoGetHeuristic", static_cast<const void*>(algo));
  }
  size_t needed = chosen.variant == kThroughWorkspace ? ddp4j_lt::accumulator_bytes(mm) : 0;
  if (workspaceBytes < needed) return refuse(INVALID_VALUE, api, "the algorithm needs %zu bytes of workspace, got %zu", needed, workspaceBytes);
  if (workspace != nullptr && reinterpret_cast<uintptr_t>(workspace) % 256 != 0)
    return refuse(INVALID_VALUE, api, "the workspace at %p is not 256-byte aligned", workspace);
  if (needed > 0 && workspace == nullptr) return refuse(INVALID_VALUE, api, "the algorithm needs %zu bytes of workspace, got NULL", needed);

  // scalars: read now in host pointer mode, when the product runs in device pointer mode
  size_t scalar_bytes = mm.wide ? sizeof(double) : sizeof(float);
  mm.alpha = alpha;
  mm.beta = beta;
  bool beta_zero = false;
  if (!mm.device_scalars) {
    mm.alpha_now = mm.wide ? *static_cast<const double*>(alpha) : *static_cast<const float*>(alpha);
    mm.beta_now = mm.wide ? *static_cast<const double*>(beta) : *static_cast<const float*>(beta);
    beta_zero = mm.beta_now == 0;
  }
  mm.a.data = static_cast<char*>(const_cast<void*>(A));
  mm.b.data = static_cast<char*>(const_cast<void*>(B));
  mm.c.data = beta_zero ? nullptr : static_cast<char*>(const_cast<void*>(C));
  mm.d.data = static_cast<char*>(D);
  mm.bias = static_cast<char*>(op->bias);
  mm.aux = static_cast<char*>(op->aux);
  mm.workspace = needed > 0 ? workspace : nullptr;
  bool reads_ab = mm.k > 0 || (mm.epilogue & (ddp4j_lt::BGRADA | ddp4j_lt::BGRADB)) != 0;
  if ((reads_ab && (A == nullptr || B == nullptr)) || D == nullptr || (!beta_zero && C == nullptr))
    return refuse(INVALID_VALUE, api, "A, B, C or D is NULL");
  // in place (C == D) takes one layout for both, as cuBLASLt documents it
  if (C != nullptr && C == D && (lc->type != ld->type || lc->order != ld->order || lc->ld != ld->ld || lc->stride != ld->stride))
    return refuse(INVALID_VALUE, api, "C and D are the same memory (in place) but their layouts differ");
  int64_t bias_length = ddp4j_lt::bias_length(mm.epilogue, mm.m, mm.n);
  if (bias_length > 0 && mm.bias == nullptr) return refuse(INVALID_VALUE, api, "epilogue %u needs CUBLASLT_MATMUL_DESC_BIAS_POINTER", mm.epilogue);
  if ((mm.epilogue & ddp4j_lt::AUX) != 0 && mm.aux == nullptr)
    return refuse(INVALID_VALUE, api, "epilogue %u needs CUBLASLT_MATMUL_DESC_EPILOGUE_AUX_POINTER", mm.epilogue);
  if (mm.m == 0 || mm.n == 0) return SUCCESS;

  // every pointer aligned as the algorithm was chosen for (at least one element)
  const void* pointers[6] = {mm.a.data, mm.b.data, mm.c.data, mm.d.data, mm.bias, mm.aux};
  const size_t elements[6] = {element_size(mm.a.type), element_size(mm.b.type), element_size(mm.c.type), element_size(mm.d.type),
                              bias_length > 0 ? element_size(mm.bias_type) : 1,
                              (mm.epilogue & ddp4j_lt::AUX) != 0 && !ddp4j_lt::aux_is_relu_mask(mm.epilogue) ? element_size(mm.aux_type) : 1};
  for (int i = 0; i < 6; i++) {
    uintptr_t p = reinterpret_cast<uintptr_t>(pointers[i]);
    if (p == 0) continue;
    size_t need = algo != nullptr && chosen.align[i] > elements[i] ? chosen.align[i] : elements[i];
    if (p % need != 0)
      return refuse(INVALID_VALUE, api, "%s at %p is not aligned to the %zu bytes its algorithm was chosen for", kOperandNames[i], pointers[i], need);
  }

  // everything the product touches lies in device memory
  size_t bias_bytes = bias_length == 0 ? 0 : static_cast<size_t>((mm.batch - 1) * mm.bias_stride + bias_length) * element_size(mm.bias_type);
  if (!in_device("matrix A", mm.a.data, reads_ab ? matrix_bytes(mm.a, mm.batch) : 0, api)
      || !in_device("matrix B", mm.b.data, reads_ab ? matrix_bytes(mm.b, mm.batch) : 0, api)
      || !in_device("matrix C", mm.c.data, mm.c.data == nullptr ? 0 : matrix_bytes(mm.c, mm.batch), api)
      || !in_device("matrix D", mm.d.data, matrix_bytes(mm.d, mm.batch), api) || !in_device("the bias vector", mm.bias, bias_bytes, api)
      || !in_device("the aux matrix", mm.aux, (mm.epilogue & ddp4j_lt::AUX) != 0 ? aux_bytes(mm) : 0, api)
      || !in_device("the workspace", workspace, needed, api)
      || (mm.device_scalars && (!in_device("alpha", alpha, scalar_bytes, api) || !in_device("beta", beta, scalar_bytes, api))))
    return EXECUTION_FAILED;

  cudaError_t e = ddp4j_emu::enqueue(stream, [mm] { ddp4j_lt::run(mm); });
  return e == cudaSuccess ? SUCCESS : EXECUTION_FAILED;
}

}  // extern "C"
