// The emulated cuDNN's convolutions: output size, algorithm lists (heuristic and timed search),
// workspace sizes, and the forward, backward-data, backward-filter and backward-bias passes,
// enqueued on the handle's stream. Each pass has a direct algorithm that needs no workspace and
// one that works through the caller's workspace as cuDNN's do (a table of input offsets, an
// im2col matrix, a column gradient), so a workspace that is too small, not device memory or
// shared with live data shows up as it would on a GPU: a refusal or wrong results. Sums run in
// the convolution's compute type (double for double, float otherwise) and round to the data type
// once; FMA, default and tensor-op math all compute in full precision here (no TF32).
#include "cudnn_emulated.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

namespace ddp4j_cudnn {
namespace {

enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER };

const char* pass_name(Pass pass) {
  return pass == FORWARD ? "forward" : pass == BACKWARD_DATA ? "backward-data" : "backward-filter";
}

// One convolution as every pass sees it: x is the input (dx in backward data), w the filter (dw
// in backward filter), y the output (dy in both backward passes).
struct Problem {
  Tensor x, y;
  Filter w;
  Convolution conv;
  int cg = 0, kg = 0;  // input and output channels per group
  int out_h = 0, out_w = 0;

  int type() const { return x.type; }
  bool in_double() const { return conv.compute_type == DOUBLE; }
  size_t acc_size() const { return in_double() ? 8 : 4; }
  int64_t columns() const { return static_cast<int64_t>(out_h) * out_w; }
  int64_t rows() const { return static_cast<int64_t>(cg) * w.r * w.s; }  // one group's (c, r, s)
  // The filter position a window position reads: CUDNN_CONVOLUTION flips the filter.
  int fr(int r) const { return conv.mode == 0 ? w.r - 1 - r : r; }
  int fs(int s) const { return conv.mode == 0 ? w.s - 1 - s : s; }
  int ih(int oh, int r) const { return oh * conv.stride_h - conv.pad_h + r * conv.dilation_h; }
  int iw(int ow, int s) const { return ow * conv.stride_w - conv.pad_w + s * conv.dilation_w; }
  bool inside(int h, int v) const { return h >= 0 && h < x.dims[2] && v >= 0 && v < x.dims[3]; }
};

int output_size(int in, int pad, int filter, int dilation, int stride) {
  int reach = (filter - 1) * dilation + 1;
  return in + 2 * pad < reach ? 0 : (in + 2 * pad - reach) / stride + 1;
}

// Checks what every pass and query needs of x, w and the convolution; y is checked when given.
int make_problem(const char* api, const void* xd, const void* wd, const void* cd, const void* yd, Problem* p) {
  if (int s = need_tensor(xd, api, "the input tensor", &p->x)) return s;
  if (int s = need_filter(wd, api, "the filter", &p->w)) return s;
  Convolution* c = find_convolution(cd);
  if (c == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live convolution descriptor");
  if (!c->set) return refuse(BAD_PARAM, std::string(api) + ": the convolution descriptor was created but never set");
  p->conv = *c;
  const Tensor& x = p->x;
  const Filter& w = p->w;
  if (x.rank != 4) return refuse(NOT_SUPPORTED, std::string(api) + ": the emulator convolves 4-d tensors only, got " + x.describe());
  if (x.type != w.type)
    return refuse(BAD_PARAM, std::string(api) + ": input " + x.describe() + " and filter " + w.describe() + " differ in data type");
  int g = p->conv.groups;
  if (w.c * g != x.dims[1] || w.k % g != 0)
    return refuse(BAD_PARAM, std::string(api) + ": filter " + w.describe() + " with " + std::to_string(g) + " group(s) does not fit input " + x.describe()
                                 + " (input channels must be filter channels x groups, output channels a multiple of groups)");
  p->cg = w.c;
  p->kg = w.k / g;
  const Convolution& cv = p->conv;
  p->out_h = output_size(x.dims[2], cv.pad_h, w.r, cv.dilation_h, cv.stride_h);
  p->out_w = output_size(x.dims[3], cv.pad_w, w.s, cv.dilation_w, cv.stride_w);
  if (p->out_h <= 0 || p->out_w <= 0)
    return refuse(BAD_PARAM, std::string(api) + ": filter " + w.describe() + " with dilation reaches past input " + x.describe() + " and its padding");
  if (yd == nullptr) return SUCCESS;
  if (int s = need_tensor(yd, api, "the output tensor", &p->y)) return s;
  const Tensor& y = p->y;
  if (y.rank != 4 || y.dims[0] != x.dims[0] || y.dims[1] != w.k || y.dims[2] != p->out_h || y.dims[3] != p->out_w) {
    int expected[4] = {x.dims[0], w.k, p->out_h, p->out_w};
    Tensor want = y;
    want.rank = 4;
    for (int i = 0; i < 4; i++) want.dims[i] = expected[i];
    return refuse(BAD_PARAM, std::string(api) + ": output " + y.describe() + " is not the " + want.describe() + " that input " + x.describe() + " and filter "
                                 + w.describe() + " give");
  }
  if (y.type != x.type) return refuse(BAD_PARAM, std::string(api) + ": output " + y.describe() + " and input " + x.describe() + " differ in data type");
  return SUCCESS;
}

// Whether the data and compute types go together as cuDNN's legacy convolutions allow.
int check_types(const char* api, const Problem& p) {
  int t = p.type(), c = p.conv.compute_type;
  if (!computable(t)) return refuse(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": the emulator does not convolve " + p.x.describe());
  bool ok = t == DOUBLE ? c == DOUBLE : t == FLOAT ? c == FLOAT : t == HALF ? (c == FLOAT || c == HALF) : c == FLOAT;
  if (!ok)
    return refuse(NOT_SUPPORTED, std::string(api) + ": compute type " + std::to_string(c) + " does not go with " + p.x.describe()
                                     + " (double data computes in double, others in float)");
  return SUCCESS;
}

// ---- algorithms

struct Algorithm {
  int algo;
  bool supported;
  size_t workspace;
  bool deterministic;
};

constexpr int kForwardCount = 8, kBackwardDataCount = 6, kBackwardFilterCount = 7;

int algorithm_count(Pass pass) { return pass == FORWARD ? kForwardCount : pass == BACKWARD_DATA ? kBackwardDataCount : kBackwardFilterCount; }

// Every algorithm of the pass, best first as the heuristics rank them: the ones the emulator runs,
// then the rest (FFT, Winograd, ...) as not supported.
std::vector<Algorithm> algorithms(Pass pass, const Problem& p) {
  size_t im2col = static_cast<size_t>(p.rows() * p.columns()) * p.acc_size();  // in the compute type
  std::vector<Algorithm> list = [&]() -> std::vector<Algorithm> {
    switch (pass) {
      case FORWARD:
        return {{1, true, static_cast<size_t>(p.rows()) * sizeof(int64_t), true},  // IMPLICIT_PRECOMP_GEMM: a table of offsets
                {0, true, 0, true},                                               // IMPLICIT_GEMM
                {2, true, im2col, true}};                                         // GEMM over an im2col matrix
      case BACKWARD_DATA:
        return {{0, true, 0, false},                                                             // ALGO_0 (atomics on a GPU)
                {1, true, im2col, true}};  // ALGO_1: the im2col matrix's gradient, then col2im
      default:
        return {{0, true, 0, false},      // ALGO_0 (atomics on a GPU)
                {1, true, im2col, true},  // ALGO_1: im2col, then a product
                {3, true, 0, false}};     // ALGO_3
    }
  }();
  for (int a = 0; a < algorithm_count(pass); a++)
    if (std::none_of(list.begin(), list.end(), [a](const Algorithm& l) { return l.algo == a; })) list.push_back({a, false, 0, true});
  return list;
}

int find_algorithm(Pass pass, const Problem& p, int algo, const char* api, Algorithm* out) {
  for (const Algorithm& a : algorithms(pass, p))
    if (a.algo == algo) {
      if (!a.supported)
        return refuse(NOT_SUPPORTED, std::string(api) + ": " + pass_name(pass) + " algorithm " + std::to_string(algo) + " is not supported for this configuration");
      *out = a;
      return SUCCESS;
    }
  return refuse(BAD_PARAM, std::string(api) + ": " + std::to_string(algo) + " is not a " + pass_name(pass) + " algorithm");
}

// cudnnConvolution*AlgoPerf_t: the three structs share this layout.
struct Perf {
  int algo;
  int status;
  float time;
  size_t memory;
  int determinism;
  int math_type;
  int reserved[3];
};
static_assert(sizeof(Perf) == 48, "cudnnConvolutionFwdAlgoPerf_t is 48 bytes");

Perf perf_of(const Algorithm& a, const Problem& p, float time) {
  Perf r{};
  r.algo = a.algo;
  r.status = a.supported ? SUCCESS : NOT_SUPPORTED;
  r.time = a.supported ? time : -1;
  r.memory = a.workspace;
  r.determinism = a.deterministic ? DETERMINISTIC : NON_DETERMINISTIC;
  r.math_type = p.conv.math_type;
  return r;
}

int write_perfs(const std::vector<Perf>& perfs, int requested, int* returned, void* results, const char* api) {
  if (requested <= 0) return refuse(BAD_PARAM, std::string(api) + ": requestedAlgoCount " + std::to_string(requested) + " is not positive");
  if (returned == nullptr || results == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": returnedAlgoCount or perfResults is NULL");
  int n = std::min(requested, static_cast<int>(perfs.size()));
  std::copy(perfs.begin(), perfs.begin() + n, static_cast<Perf*>(results));
  *returned = n;
  return SUCCESS;
}

// ---- the arithmetic
//
// Each pass first stages its operands as dense arrays of the compute type (x as N x C x H x W, the
// filter as K x Cg x R x S in window order, so CUDNN_CONVOLUTION's flip happens once here), runs
// its algorithm on them, and blends the result into the caller's strided output once. Workspace
// algorithms keep their tables and matrices in the caller's workspace, in the compute type.

// Calls at(i, offset) for every element of a 4-d tensor: i counts in dense N x C x H x W order,
// offset is where the element lies in the tensor's own strides.
template <class At>
void walk(const Tensor& t, At at) {
  size_t i = 0;
  for (int n = 0; n < t.dims[0]; n++)
    for (int c = 0; c < t.dims[1]; c++)
      for (int h = 0; h < t.dims[2]; h++)
        for (int v = 0; v < t.dims[3]; v++) at(i++, t.offset(n, c, h, v));
}

// The same over the filter, in window order: CUDNN_CONVOLUTION's flip happens here.
template <class At>
void walk_filter(const Problem& p, At at) {
  size_t i = 0;
  for (int k = 0; k < p.w.k; k++)
    for (int c = 0; c < p.cg; c++)
      for (int r = 0; r < p.w.r; r++)
        for (int s = 0; s < p.w.s; s++) at(i++, p.w.offset(k, c, p.fr(r), p.fs(s)));
}

template <class Acc>
struct Staged {
  const Problem& p;
  std::vector<Acc> x, w, y;  // y is the output (forward) or dy (backward)
  int64_t H, W, OHW;

  explicit Staged(const Problem& problem) : p(problem), H(p.x.dims[2]), W(p.x.dims[3]), OHW(p.columns()) {}

  // A tensor (x or y) as a dense array of the compute type.
  std::vector<Acc> dense(const Tensor& t, const void* data) const {
    std::vector<Acc> v(static_cast<size_t>(t.elements()));
    walk(t, [&](size_t i, int64_t at) { v[i] = static_cast<Acc>(load(data, p.type(), at)); });
    return v;
  }
  std::vector<Acc> dense_filter(const void* data) const {
    std::vector<Acc> v(static_cast<size_t>(p.w.elements()));
    walk_filter(p, [&](size_t i, int64_t at) { v[i] = static_cast<Acc>(load(data, p.type(), at)); });
    return v;
  }
  // Blends a dense result into the caller's strided output of x's or y's shape, or the filter's.
  void put(const Tensor& t, const std::vector<Acc>& v, void* out, double alpha, double beta) const {
    walk(t, [&](size_t i, int64_t at) { blend(out, p.type(), at, v[i], alpha, beta); });
  }
  void put_filter(const std::vector<Acc>& v, void* out, double alpha, double beta) const {
    walk_filter(p, [&](size_t i, int64_t at) { blend(out, p.type(), at, v[i], alpha, beta); });
  }
  // Dense indices.
  int64_t xi(int n, int c, int h, int v) const { return ((static_cast<int64_t>(n) * p.x.dims[1] + c) * H + h) * W + v; }
  int64_t yi(int n, int k) const { return (static_cast<int64_t>(n) * p.w.k + k) * OHW; }  // start of one output plane
  int64_t wi(int k) const { return static_cast<int64_t>(k) * p.rows(); }                  // start of one filter
};

// One image's group of input channels unrolled into `col`: row (c, r, s), column (oh, ow), zero
// where the window lies over padding.
template <class Acc>
void im2col(const Staged<Acc>& st, int n, int g, Acc* col) {
  const Problem& p = st.p;
  for (int c = 0, q = 0; c < p.cg; c++)
    for (int r = 0; r < p.w.r; r++)
      for (int s = 0; s < p.w.s; s++, q++) {
        Acc* row = col + q * st.OHW;
        for (int oh = 0; oh < p.out_h; oh++)
          for (int ow = 0; ow < p.out_w; ow++) {
            int h = p.ih(oh, r), v = p.iw(ow, s);
            row[oh * p.out_w + ow] = p.inside(h, v) ? st.x[st.xi(n, g * p.cg + c, h, v)] : Acc(0);
          }
      }
}

// The sum over one window, tap by tap in (c, r, s) order; `at(c, r, s, h, v)` finds the input.
template <class Acc, class At>
Acc window_sum(const Problem& p, const Acc* filter, int oh, int ow, At at) {
  Acc acc = 0;
  for (int c = 0, q = 0; c < p.cg; c++)
    for (int r = 0; r < p.w.r; r++)
      for (int s = 0; s < p.w.s; s++, q++) {
        int h = p.ih(oh, r), v = p.iw(ow, s);
        if (p.inside(h, v)) acc += at(c, q, h, v) * filter[q];
      }
  return acc;
}

template <class Acc>
void forward(int algo, const Problem& p, const void* x, const void* w, void* y, double alpha, double beta, void* ws) {
  Staged<Acc> st(p);
  st.x = st.dense(p.x, x);
  st.w = st.dense_filter(w);
  std::vector<Acc> out(static_cast<size_t>(p.y.elements()), 0);
  if (algo == 2) {  // GEMM: each image's im2col matrix in the workspace, times the filters
    Acc* col = static_cast<Acc*>(ws);
    for (int n = 0; n < p.x.dims[0]; n++)
      for (int g = 0; g < p.conv.groups; g++) {
        im2col(st, n, g, col);
        for (int k = g * p.kg; k < (g + 1) * p.kg; k++) {
          Acc* plane = out.data() + st.yi(n, k);
          const Acc* filter = st.w.data() + st.wi(k);
          for (int64_t q = 0; q < p.rows(); q++)
            for (int64_t j = 0; j < st.OHW; j++) plane[j] += filter[q] * col[q * st.OHW + j];
        }
      }
  } else {
    // IMPLICIT_PRECOMP_GEMM reads through a table of each tap's input offset from the window's
    // corner, built in the workspace; IMPLICIT_GEMM indexes directly
    int64_t* table = algo == 1 ? static_cast<int64_t*>(ws) : nullptr;
    if (table != nullptr)
      for (int c = 0, q = 0; c < p.cg; c++)
        for (int r = 0; r < p.w.r; r++)
          for (int s = 0; s < p.w.s; s++, q++) table[q] = (c * st.H + r * p.conv.dilation_h) * st.W + s * p.conv.dilation_w;
    for (int n = 0; n < p.x.dims[0]; n++)
      for (int k = 0; k < p.w.k; k++) {
        int c0 = k / p.kg * p.cg;
        const Acc* filter = st.w.data() + st.wi(k);
        Acc* plane = out.data() + st.yi(n, k);
        for (int oh = 0; oh < p.out_h; oh++)
          for (int ow = 0; ow < p.out_w; ow++) {
            int64_t corner = st.xi(n, c0, 0, 0) + static_cast<int64_t>(p.ih(oh, 0)) * st.W + p.iw(ow, 0);
            plane[oh * p.out_w + ow] = table != nullptr
                ? window_sum(p, filter, oh, ow, [&](int, int q, int, int) { return st.x[corner + table[q]]; })
                : window_sum(p, filter, oh, ow, [&](int c, int, int h, int v) { return st.x[st.xi(n, c0 + c, h, v)]; });
          }
      }
  }
  st.put(p.y, out, y, alpha, beta);
}

template <class Acc>
void backward_data(int algo, const Problem& p, const void* w, const void* dy, void* dx, double alpha, double beta, void* ws) {
  Staged<Acc> st(p);
  st.w = st.dense_filter(w);
  st.y = st.dense(p.y, dy);
  std::vector<Acc> grad(static_cast<size_t>(p.x.elements()), 0);
  for (int n = 0; n < p.x.dims[0]; n++)
    for (int g = 0; g < p.conv.groups; g++) {
      // ALGO_1: the im2col matrix's gradient (filters transposed times dy) in the workspace,
      // then folded back onto the image (col2im); ALGO_0 scatters every product straight away
      Acc* dcol = algo == 1 ? static_cast<Acc*>(ws) : nullptr;
      if (dcol != nullptr) {
        std::fill(dcol, dcol + p.rows() * st.OHW, Acc(0));
        for (int k = g * p.kg; k < (g + 1) * p.kg; k++) {
          const Acc* filter = st.w.data() + st.wi(k);
          const Acc* plane = st.y.data() + st.yi(n, k);
          for (int64_t q = 0; q < p.rows(); q++)
            for (int64_t j = 0; j < st.OHW; j++) dcol[q * st.OHW + j] += filter[q] * plane[j];
        }
      }
      for (int k = g * p.kg; k < (dcol != nullptr ? g * p.kg + 1 : (g + 1) * p.kg); k++) {
        const Acc* filter = st.w.data() + st.wi(k);
        const Acc* plane = st.y.data() + st.yi(n, k);
        for (int c = 0, q = 0; c < p.cg; c++)
          for (int r = 0; r < p.w.r; r++)
            for (int s = 0; s < p.w.s; s++, q++)
              for (int oh = 0; oh < p.out_h; oh++)
                for (int ow = 0; ow < p.out_w; ow++) {
                  int h = p.ih(oh, r), v = p.iw(ow, s);
                  if (!p.inside(h, v)) continue;
                  int j = oh * p.out_w + ow;
                  grad[st.xi(n, g * p.cg + c, h, v)] += dcol != nullptr ? dcol[q * st.OHW + j] : filter[q] * plane[j];
                }
      }
    }
  st.put(p.x, grad, dx, alpha, beta);
}

template <class Acc>
void backward_filter(int algo, const Problem& p, const void* x, const void* dy, void* dw, double alpha, double beta, void* ws) {
  Staged<Acc> st(p);
  st.x = st.dense(p.x, x);
  st.y = st.dense(p.y, dy);
  std::vector<Acc> grad(static_cast<size_t>(p.w.elements()), 0);
  Acc* col = algo == 1 ? static_cast<Acc*>(ws) : nullptr;  // ALGO_1: each image's im2col matrix in the workspace
  for (int n = 0; n < p.x.dims[0]; n++)
    for (int g = 0; g < p.conv.groups; g++) {
      if (col != nullptr) im2col(st, n, g, col);
      for (int k = g * p.kg; k < (g + 1) * p.kg; k++) {
        const Acc* plane = st.y.data() + st.yi(n, k);
        Acc* filter = grad.data() + st.wi(k);
        for (int c = 0, q = 0; c < p.cg; c++)
          for (int r = 0; r < p.w.r; r++)
            for (int s = 0; s < p.w.s; s++, q++) {
              Acc sum = 0;
              if (col != nullptr) {
                for (int64_t j = 0; j < st.OHW; j++) sum += plane[j] * col[q * st.OHW + j];
              } else {
                for (int oh = 0; oh < p.out_h; oh++)
                  for (int ow = 0; ow < p.out_w; ow++) {
                    int h = p.ih(oh, r), v = p.iw(ow, s);
                    if (p.inside(h, v)) sum += plane[oh * p.out_w + ow] * st.x[st.xi(n, g * p.cg + c, h, v)];
                  }
              }
              filter[q] += sum;
            }
      }
    }
  st.put_filter(grad, dw, alpha, beta);
}

// Runs one pass: a and b are its two inputs (x and w forward; w and dy backward data; x and dy
// backward filter), out its result (y, dx or dw).
template <class Acc>
void run_as(Pass pass, int algo, const Problem& p, const void* a, const void* b, void* out, double alpha, double beta, void* ws) {
  switch (pass) {
    case FORWARD: forward<Acc>(algo, p, a, b, out, alpha, beta, ws); return;
    case BACKWARD_DATA: backward_data<Acc>(algo, p, a, b, out, alpha, beta, ws); return;
    case BACKWARD_FILTER: backward_filter<Acc>(algo, p, a, b, out, alpha, beta, ws); return;
  }
}

void run(Pass pass, int algo, const Problem& p, const void* a, const void* b, void* out, double alpha, double beta, void* ws) {
  if (p.in_double()) run_as<double>(pass, algo, p, a, b, out, alpha, beta, ws);
  else run_as<float>(pass, algo, p, a, b, out, alpha, beta, ws);
}

// The operands of a pass, in the order run() takes them, with what each must span.
struct Operands {
  const void* a;
  int64_t a_elements;
  const char* a_name;
  const void* b;
  int64_t b_elements;
  const char* b_name;
  void* out;
  int64_t out_elements;
  const char* out_name;
};

int need_operands(const Handle& h, const Problem& p, const Operands& o, const char* api) {
  int t = p.type();
  if (int s = need_device_memory(h, o.a, o.a_elements, t, api, o.a_name)) return s;
  if (int s = need_device_memory(h, o.b, o.b_elements, t, api, o.b_name)) return s;
  return need_device_memory(h, o.out, o.out_elements, t, api, o.out_name);
}

Operands operands(Pass pass, const Problem& p, const void* a, const void* b, void* out) {
  switch (pass) {
    case FORWARD: return {a, p.x.span(), "x", b, p.w.elements(), "w", out, p.y.span(), "y"};
    case BACKWARD_DATA: return {a, p.w.elements(), "w", b, p.y.span(), "dy", out, p.x.span(), "dx"};
    default: return {a, p.x.span(), "x", b, p.y.span(), "dy", out, p.w.elements(), "dw"};
  }
}

// The problem of a pass from its descriptors in the pass's own argument order.
int problem_of(Pass pass, const char* api, const void* d1, const void* d2, const void* conv, const void* d3, Problem* p) {
  int s;
  switch (pass) {
    case FORWARD: s = make_problem(api, d1, d2, conv, d3, p); break;          // x, w, conv, y
    case BACKWARD_DATA: s = make_problem(api, d3, d1, conv, d2, p); break;    // w, dy, conv, dx
    default: s = make_problem(api, d1, d3, conv, d2, p); break;               // x, dy, conv, dw
  }
  return s != SUCCESS ? s : check_types(api, *p);
}

int convolve(Pass pass, const char* api, const void* handle, const void* alpha, const void* d1, const void* a, const void* d2, const void* b,
             const void* conv, int algo, void* ws, size_t ws_bytes, const void* beta, const void* d3, void* out) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Problem p;
  if (int s = problem_of(pass, api, d1, d2, conv, d3, &p)) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  Algorithm chosen;
  if (int s = find_algorithm(pass, p, algo, api, &chosen)) return s;
  if (ws_bytes < chosen.workspace)
    return refuse(BAD_PARAM_SIZE_INSUFFICIENT, std::string(api) + ": algorithm " + std::to_string(algo) + " needs " + std::to_string(chosen.workspace)
                                                   + " bytes of workspace, got " + std::to_string(ws_bytes));
  if (int s = need_device_bytes(*h, ws, chosen.workspace, api, "workSpace")) return s;
  Operands o = operands(pass, p, a, b, out);
  if (int s = need_operands(*h, p, o, api)) return s;
  double al = scalar(alpha, p.type()), be = scalar(beta, p.type());
  cudaError_t e = ddp4j_emu::enqueue(h->stream, [pass, algo, p, o, al, be, ws] { run(pass, algo, p, o.a, o.b, o.out, al, be, ws); });
  return e == cudaSuccess ? SUCCESS : refuse(EXECUTION_FAILED, std::string(api) + ": the stream refused the work (CUDA error " + std::to_string(e) + ")");
}

int heuristic(Pass pass, const char* api, const void* handle, const void* d1, const void* d2, const void* conv, const void* d3, int requested, int* returned,
              void* results) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Problem p;
  if (int s = problem_of(pass, api, d1, d2, conv, d3, &p)) return s;
  std::vector<Perf> perfs;
  for (const Algorithm& a : algorithms(pass, p)) perfs.push_back(perf_of(a, p, -1));
  return write_perfs(perfs, requested, returned, results, api);
}

// Runs every supported algorithm once and lists them fastest first, then the unsupported ones.
// `operands` null: on zeroed scratch the search allocates itself (cudnnFind*Algorithm); else on the
// caller's buffers and workspace, through the handle's stream (cudnnFind*AlgorithmEx), where an
// algorithm wanting more workspace than given is reported as not supported.
std::vector<Perf> search(Pass pass, const Problem& p, const Operands* given, void* ws, size_t ws_bytes, cudaStream_t stream) {
  std::vector<Algorithm> all = algorithms(pass, p);
  auto times = std::make_shared<std::vector<float>>(all.size(), -1.0f);
  auto timed = [pass, p, all, times](const Operands& o, void* workspace, size_t workspace_bytes) {
    for (size_t i = 0; i < all.size(); i++) {
      if (!all[i].supported || all[i].workspace > workspace_bytes) continue;
      auto start = std::chrono::steady_clock::now();
      run(pass, all[i].algo, p, o.a, o.b, o.out, 1.0, 0.0, workspace);
      (*times)[i] = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
  };
  if (given == nullptr) {
    size_t elem = element_size(p.type()), most = 0;
    for (const Algorithm& a : all) most = std::max(most, a.workspace);
    std::vector<char> x(p.x.span() * elem), w(p.w.elements() * elem), y(p.y.span() * elem), scratch(most);
    Operands o = pass == FORWARD ? operands(pass, p, x.data(), w.data(), y.data())
                 : pass == BACKWARD_DATA ? operands(pass, p, w.data(), y.data(), x.data())
                                         : operands(pass, p, x.data(), y.data(), w.data());
    timed(o, scratch.data(), most);
  } else {
    Operands o = *given;
    ddp4j_emu::enqueue(stream, [timed, o, ws, ws_bytes] { timed(o, ws, ws_bytes); });
    cudaStreamSynchronize(stream);
  }
  std::vector<Perf> perfs;
  for (size_t i = 0; i < all.size(); i++) {
    Perf r = perf_of(all[i], p, (*times)[i]);
    if (all[i].supported && (*times)[i] < 0) r.status = NOT_SUPPORTED;  // its workspace did not fit
    perfs.push_back(r);
  }
  std::stable_sort(perfs.begin(), perfs.end(), [](const Perf& l, const Perf& r) {
    if ((l.status == SUCCESS) != (r.status == SUCCESS)) return l.status == SUCCESS;
    return l.status == SUCCESS && l.time < r.time;
  });
  return perfs;
}

int find_timed(Pass pass, const char* api, const void* handle, const void* d1, const void* d2, const void* conv, const void* d3, int requested, int* returned,
         void* results) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Problem p;
  if (int s = problem_of(pass, api, d1, d2, conv, d3, &p)) return s;
  return write_perfs(search(pass, p, nullptr, nullptr, 0, nullptr), requested, returned, results, api);
}

int find_ex(Pass pass, const char* api, const void* handle, const void* d1, const void* a, const void* d2, const void* b, const void* conv,
            const void* d3, void* out, int requested, int* returned, void* results, void* ws, size_t ws_bytes) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Problem p;
  if (int s = problem_of(pass, api, d1, d2, conv, d3, &p)) return s;
  if (int s = need_device_bytes(*h, ws, ws_bytes, api, "workSpace")) return s;
  Operands o = operands(pass, p, a, b, out);
  if (int s = need_operands(*h, p, o, api)) return s;
  cudaStreamCaptureStatus capturing = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(h->stream, &capturing) != cudaSuccess || capturing != cudaStreamCaptureStatusNone)
    return refuse(NOT_SUPPORTED, std::string(api) + ": a search runs and waits for its stream, which is capturing a CUDA graph");
  return write_perfs(search(pass, p, &o, ws, ws_bytes, h->stream), requested, returned, results, api);
}

int workspace_size(Pass pass, const char* api, const void* handle, const void* d1, const void* d2, const void* conv, const void* d3, int algo, size_t* size) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Problem p;
  if (int s = problem_of(pass, api, d1, d2, conv, d3, &p)) return s;
  if (size == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": sizeInBytes is NULL");
  Algorithm a;
  if (int s = find_algorithm(pass, p, algo, api, &a)) return s;
  *size = a.workspace;
  return SUCCESS;
}

int max_count(Pass pass, const char* api, const void* handle, int* count) {
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  if (count == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": count is NULL");
  *count = algorithm_count(pass);
  return SUCCESS;
}

}  // namespace
}  // namespace ddp4j_cudnn

using namespace ddp4j_cudnn;
using Desc = const void*;

extern "C" {

int cudnnGetConvolution2dForwardOutputDim(Desc conv, Desc x, Desc w, int* n, int* c, int* h, int* v) {
  const char* api = "cudnnGetConvolution2dForwardOutputDim";
  Problem p;
  if (int s = make_problem(api, x, w, conv, nullptr, &p)) return s;
  if (n == nullptr || c == nullptr || h == nullptr || v == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": an output pointer is NULL");
  *n = p.x.dims[0], *c = p.w.k, *h = p.out_h, *v = p.out_w;
  return SUCCESS;
}

int cudnnGetConvolutionForwardAlgorithmMaxCount(Desc h, int* count) { return max_count(FORWARD, "cudnnGetConvolutionForwardAlgorithmMaxCount", h, count); }
int cudnnGetConvolutionBackwardDataAlgorithmMaxCount(Desc h, int* count) {
  return max_count(BACKWARD_DATA, "cudnnGetConvolutionBackwardDataAlgorithmMaxCount", h, count);
}
int cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(Desc h, int* count) {
  return max_count(BACKWARD_FILTER, "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", h, count);
}

int cudnnGetConvolutionForwardAlgorithm_v7(Desc h, Desc x, Desc w, Desc conv, Desc y, int requested, int* returned, void* perfs) {
  return heuristic(FORWARD, "cudnnGetConvolutionForwardAlgorithm_v7", h, x, w, conv, y, requested, returned, perfs);
}
int cudnnGetConvolutionBackwardDataAlgorithm_v7(Desc h, Desc w, Desc dy, Desc conv, Desc dx, int requested, int* returned, void* perfs) {
  return heuristic(BACKWARD_DATA, "cudnnGetConvolutionBackwardDataAlgorithm_v7", h, w, dy, conv, dx, requested, returned, perfs);
}
int cudnnGetConvolutionBackwardFilterAlgorithm_v7(Desc h, Desc x, Desc dy, Desc conv, Desc dw, int requested, int* returned, void* perfs) {
  return heuristic(BACKWARD_FILTER, "cudnnGetConvolutionBackwardFilterAlgorithm_v7", h, x, dy, conv, dw, requested, returned, perfs);
}

int cudnnFindConvolutionForwardAlgorithm(Desc h, Desc x, Desc w, Desc conv, Desc y, int requested, int* returned, void* perfs) {
  return find_timed(FORWARD, "cudnnFindConvolutionForwardAlgorithm", h, x, w, conv, y, requested, returned, perfs);
}
int cudnnFindConvolutionBackwardDataAlgorithm(Desc h, Desc w, Desc dy, Desc conv, Desc dx, int requested, int* returned, void* perfs) {
  return find_timed(BACKWARD_DATA, "cudnnFindConvolutionBackwardDataAlgorithm", h, w, dy, conv, dx, requested, returned, perfs);
}
int cudnnFindConvolutionBackwardFilterAlgorithm(Desc h, Desc x, Desc dy, Desc conv, Desc dw, int requested, int* returned, void* perfs) {
  return find_timed(BACKWARD_FILTER, "cudnnFindConvolutionBackwardFilterAlgorithm", h, x, dy, conv, dw, requested, returned, perfs);
}

int cudnnFindConvolutionForwardAlgorithmEx(Desc h, Desc xd, const void* x, Desc wd, const void* w, Desc conv, Desc yd, void* y, int requested, int* returned,
                                           void* perfs, void* ws, size_t ws_bytes) {
  return find_ex(FORWARD, "cudnnFindConvolutionForwardAlgorithmEx", h, xd, x, wd, w, conv, yd, y, requested, returned, perfs, ws, ws_bytes);
}
int cudnnFindConvolutionBackwardDataAlgorithmEx(Desc h, Desc wd, const void* w, Desc dyd, const void* dy, Desc conv, Desc dxd, void* dx, int requested,
                                                int* returned, void* perfs, void* ws, size_t ws_bytes) {
  return find_ex(BACKWARD_DATA, "cudnnFindConvolutionBackwardDataAlgorithmEx", h, wd, w, dyd, dy, conv, dxd, dx, requested, returned, perfs, ws, ws_bytes);
}
int cudnnFindConvolutionBackwardFilterAlgorithmEx(Desc h, Desc xd, const void* x, Desc dyd, const void* dy, Desc conv, Desc dwd, void* dw, int requested,
                                                  int* returned, void* perfs, void* ws, size_t ws_bytes) {
  return find_ex(BACKWARD_FILTER, "cudnnFindConvolutionBackwardFilterAlgorithmEx", h, xd, x, dyd, dy, conv, dwd, dw, requested, returned, perfs, ws, ws_bytes);
}

int cudnnGetConvolutionForwardWorkspaceSize(Desc h, Desc x, Desc w, Desc conv, Desc y, int algo, size_t* size) {
  return workspace_size(FORWARD, "cudnnGetConvolutionForwardWorkspaceSize", h, x, w, conv, y, algo, size);
}
int cudnnGetConvolutionBackwardDataWorkspaceSize(Desc h, Desc w, Desc dy, Desc conv, Desc dx, int algo, size_t* size) {
  return workspace_size(BACKWARD_DATA, "cudnnGetConvolutionBackwardDataWorkspaceSize", h, w, dy, conv, dx, algo, size);
}
int cudnnGetConvolutionBackwardFilterWorkspaceSize(Desc h, Desc x, Desc dy, Desc conv, Desc dw, int algo, size_t* size) {
  return workspace_size(BACKWARD_FILTER, "cudnnGetConvolutionBackwardFilterWorkspaceSize", h, x, dy, conv, dw, algo, size);
}

int cudnnConvolutionForward(Desc h, const void* alpha, Desc xd, const void* x, Desc wd, const void* w, Desc conv, int algo, void* ws, size_t ws_bytes,
                            const void* beta, Desc yd, void* y) {
  return convolve(FORWARD, "cudnnConvolutionForward", h, alpha, xd, x, wd, w, conv, algo, ws, ws_bytes, beta, yd, y);
}
int cudnnConvolutionBackwardData(Desc h, const void* alpha, Desc wd, const void* w, Desc dyd, const void* dy, Desc conv, int algo, void* ws,
                                 size_t ws_bytes, const void* beta, Desc dxd, void* dx) {
  return convolve(BACKWARD_DATA, "cudnnConvolutionBackwardData", h, alpha, wd, w, dyd, dy, conv, algo, ws, ws_bytes, beta, dxd, dx);
}
int cudnnConvolutionBackwardFilter(Desc h, const void* alpha, Desc xd, const void* x, Desc dyd, const void* dy, Desc conv, int algo, void* ws,
                                   size_t ws_bytes, const void* beta, Desc dwd, void* dw) {
  return convolve(BACKWARD_FILTER, "cudnnConvolutionBackwardFilter", h, alpha, xd, x, dyd, dy, conv, algo, ws, ws_bytes, beta, dwd, dw);
}

// db (1 x K x 1 x 1) = alpha * (dy summed over N, H, W) + beta * db.
int cudnnConvolutionBackwardBias(Desc handle, const void* alpha, Desc dyd, const void* dy, const void* beta, Desc dbd, void* db) {
  const char* api = "cudnnConvolutionBackwardBias";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor g, b;
  if (int s = need_data(*h, dyd, dy, api, "dy", &g)) return s;
  if (int s = need_data(*h, dbd, db, api, "db", &b)) return s;
  if (g.rank != 4 || !computable(g.type)) return refuse(NOT_SUPPORTED, std::string(api) + ": the emulator sums 4-d float tensors, got " + g.describe());
  if (b.rank != 4 || b.dims[0] != 1 || b.dims[1] != g.dims[1] || b.dims[2] != 1 || b.dims[3] != 1 || b.type != g.type)
    return refuse(BAD_PARAM, std::string(api) + ": db " + b.describe() + " is not 1 x C x 1 x 1 of dy " + g.describe());
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, g.type), be = scalar(beta, g.type);
  cudaError_t e = ddp4j_emu::enqueue(h->stream, [g, b, dy, db, al, be] {
    // one channel's sum in the compute type: double data in double, the rest in float, as cuDNN sums
    auto channel_sum = [&](int c, auto zero) {
      decltype(zero) sum = zero;
      for (int n = 0; n < g.dims[0]; n++)
        for (int y = 0; y < g.dims[2]; y++)
          for (int x = 0; x < g.dims[3]; x++) sum += static_cast<decltype(zero)>(load(dy, g.type, g.offset(n, c, y, x)));
      return static_cast<double>(sum);
    };
    for (int c = 0; c < g.dims[1]; c++) blend(db, b.type, b.offset(0, c, 0, 0), g.type == DOUBLE ? channel_sum(c, 0.0) : channel_sum(c, 0.0f), al, be);
  });
  return e == cudaSuccess ? SUCCESS : refuse(EXECUTION_FAILED, std::string(api) + ": the stream refused the work");
}

}  // extern "C"
