// The emulated cuDNN's other layers: cudnnSetTensor and cudnnAddTensor, 2-d pooling (max and
// both averages), activations, and spatial and per-activation batch normalization (training
// forward with its saved statistics and running averages, inference, backward), each checked as
// cuDNN checks it and enqueued on the handle's stream. Statistics are computed in double and
// results rounded to the data type once. Scale, bias, mean and variance are float for half and
// bfloat16 data (cudnnDeriveBNTensorDescriptor's rule), of the data type otherwise.
#include "cudnn_emulated.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ddp4j_cudnn {
namespace {

int64_t offset_of(const Tensor& t, const int* index) {
  int64_t at = 0;
  for (int i = 0; i < t.rank; i++) at += index[i] * t.strides[i];
  return at;
}

// Calls f(index) for every element of a tensor of these dimensions, last dimension fastest.
template <class F>
void for_each_index(const Tensor& shape, F f) {
  int index[kMaxDims] = {};
  int64_t count = shape.elements();
  for (int64_t i = 0; i < count; i++) {
    f(index);
    for (int d = shape.rank - 1; d >= 0; d--) {
      if (++index[d] < shape.dims[d]) break;
      index[d] = 0;
    }
  }
}

bool same_dims(const Tensor& a, const Tensor& b) {
  if (a.rank != b.rank) return false;
  for (int i = 0; i < a.rank; i++)
    if (a.dims[i] != b.dims[i]) return false;
  return true;
}

int enqueued(cudaError_t e, const char* api) {
  return e == cudaSuccess ? SUCCESS : refuse(EXECUTION_FAILED, std::string(api) + ": the stream refused the work (CUDA error " + std::to_string(e) + ")");
}

// Two tensors an elementwise operation reads and writes: same dimensions and a data type the
// emulator computes with (their strides may differ).
int need_alike(const char* api, const Tensor& a, const char* a_name, const Tensor& b, const char* b_name) {
  if (!computable(a.type)) return refuse(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": the emulator does not compute with " + a.describe());
  if (!same_dims(a, b) || a.type != b.type)
    return refuse(BAD_PARAM, std::string(api) + ": " + a_name + " " + a.describe() + " and " + b_name + " " + b.describe() + " differ");
  return SUCCESS;
}

// ---- pooling

int pooled_size(int in, int pad, int window, int stride) { return in + 2 * pad < window ? 0 : (in + 2 * pad - window) / stride + 1; }

int need_pooling(const void* d, const char* api, Pooling* out) {
  Pooling* p = find_pooling(d);
  if (p == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live pooling descriptor");
  if (!p->set) return refuse(BAD_PARAM, std::string(api) + ": the pooling descriptor was created but never set");
  *out = *p;
  return SUCCESS;
}

// x and y of a pooling: 4-d, alike in batch, channels and type, y of the pooled height and width.
int need_pooled(const char* api, const Pooling& p, const Tensor& x, const Tensor& y) {
  if (x.rank != 4 || !computable(x.type)) return refuse(NOT_SUPPORTED, std::string(api) + ": the emulator pools 4-d float tensors, got " + x.describe());
  int h = pooled_size(x.dims[2], p.pad_h, p.window_h, p.stride_h), w = pooled_size(x.dims[3], p.pad_w, p.window_w, p.stride_w);
  if (y.rank != 4 || y.type != x.type || y.dims[0] != x.dims[0] || y.dims[1] != x.dims[1] || y.dims[2] != h || y.dims[3] != w)
    return refuse(BAD_PARAM, std::string(api) + ": y " + y.describe() + " is not what pooling x " + x.describe() + " gives (" + std::to_string(h) + " x "
                                 + std::to_string(w) + " pixels)");
  return SUCCESS;
}

bool is_max(const Pooling& p) { return p.mode == 0 || p.mode == 3; }

// One window of x: its bounds clipped to the input, the divisor an average uses, and for max
// pooling the winner (the first largest value; -1 when the window holds only padding).
struct Window {
  int h0, h1, w0, w1;
  double divisor;
  int win_h = -1, win_w = -1;
  double value;
};

Window window_at(const Pooling& p, const Tensor& x, const void* data, int n, int c, int oh, int ow) {
  int hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
  Window win{};
  win.h0 = hs < 0 ? 0 : hs, win.w0 = ws < 0 ? 0 : ws;
  win.h1 = std::min(hs + p.window_h, x.dims[2]), win.w1 = std::min(ws + p.window_w, x.dims[3]);
  if (p.mode == 1) {  // include padding: the window as it lies over the padded input
    int ph1 = std::min(hs + p.window_h, x.dims[2] + p.pad_h), pw1 = std::min(ws + p.window_w, x.dims[3] + p.pad_w);
    win.divisor = static_cast<double>(ph1 - hs) * (pw1 - ws);
  } else {
    win.divisor = static_cast<double>(win.h1 - win.h0) * (win.w1 - win.w0);
  }
  if (!is_max(p)) return win;
  win.value = -std::numeric_limits<double>::infinity();
  for (int h = win.h0; h < win.h1; h++)
    for (int w = win.w0; w < win.w1; w++) {
      double v = load(data, x.type, x.offset(n, c, h, w));
      bool better = std::isnan(v) ? p.nan_opt == 1 && !std::isnan(win.value) : v > win.value || win.win_h < 0;
      if (better) win.value = v, win.win_h = h, win.win_w = w;
    }
  return win;
}

// ---- activation

int need_activation(const void* d, const char* api, Activation* out) {
  Activation* a = find_activation(d);
  if (a == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live activation descriptor");
  if (!a->set) return refuse(BAD_PARAM, std::string(api) + ": the activation descriptor was created but never set");
  // cuDNN runs IDENTITY only fused into cudnnConvolutionBiasActivationForward
  if (a->mode == 5) return refuse(BAD_PARAM, std::string(api) + ": CUDNN_ACTIVATION_IDENTITY is only for cudnnConvolutionBiasActivationForward");
  *out = *a;
  return SUCCESS;
}

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

double activate(const Activation& a, double x) {
  if (std::isnan(x)) return x;
  switch (a.mode) {
    case 0: return sigmoid(x);
    case 1: return x > 0 ? x : 0;
    case 2: return std::tanh(x);
    case 3: return x <= 0 ? 0 : x < a.coef ? x : a.coef;
    case 4: return x > 0 ? x : a.coef * std::expm1(x);
    default: return x * sigmoid(a.coef * x);  // swish, coef is its beta
  }
}

// The gradient through the activation given the forward's x and y.
double activate_backward(const Activation& a, double x, double y, double dy) {
  switch (a.mode) {
    case 0: return dy * y * (1 - y);
    case 1: return x > 0 ? dy : 0;
    case 2: return dy * (1 - y * y);
    case 3: return x > 0 && x < a.coef ? dy : 0;
    case 4: return x > 0 ? dy : dy * (y + a.coef);
    default: {
      double s = sigmoid(a.coef * x);
      return dy * (s + a.coef * x * s * (1 - s));
    }
  }
}

// ---- batch normalization

bool spatial(int mode) { return mode == 1 || mode == 2; }

int param_type(int data_type) { return data_type == DOUBLE ? DOUBLE : FLOAT; }

// The element of the statistics (per channel, or per channel and pixel) that x[n, c, h, w] uses.
int64_t statistic_of(int mode, const Tensor& x, int c, int h, int w) {
  return spatial(mode) ? c : (static_cast<int64_t>(c) * x.dims[2] + h) * x.dims[3] + w;
}

int64_t statistics_count(int mode, const Tensor& x) { return spatial(mode) ? x.dims[1] : static_cast<int64_t>(x.dims[1]) * x.dims[2] * x.dims[3]; }

// How many values of x one statistic summarises.
int64_t per_statistic(int mode, const Tensor& x) { return spatial(mode) ? static_cast<int64_t>(x.dims[0]) * x.dims[2] * x.dims[3] : x.dims[0]; }

// x, y (or dy, dx) and the statistics descriptor as cuDNN requires them for the mode.
int need_batch_norm(const char* api, int mode, const Tensor& x, const Tensor& y, const Tensor& bn) {
  if (mode < 0 || mode > 2) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnBatchNormMode_t " + std::to_string(mode));
  if (x.rank != 4 || !computable(x.type)) return refuse(NOT_SUPPORTED, std::string(api) + ": the emulator normalises 4-d float tensors, got " + x.describe());
  if (int s = need_alike(api, x, "x", y, "y")) return s;
  bool shape = bn.rank == 4 && bn.dims[0] == 1 && bn.dims[1] == x.dims[1] && (spatial(mode) ? bn.dims[2] == 1 && bn.dims[3] == 1
                                                                                               : bn.dims[2] == x.dims[2] && bn.dims[3] == x.dims[3]);
  if (!shape || bn.type != param_type(x.type))
    return refuse(BAD_PARAM, std::string(api) + ": the scale/bias/mean/variance descriptor " + bn.describe() + " is not what cudnnDeriveBNTensorDescriptor gives for x "
                                 + x.describe() + " in mode " + std::to_string(mode));
  return SUCCESS;
}

// Per statistic: the mean and the biased variance of x.
void moments(int mode, const Tensor& x, const void* data, std::vector<double>* mean, std::vector<double>* var) {
  int64_t count = statistics_count(mode, x);
  double m = static_cast<double>(per_statistic(mode, x));
  mean->assign(count, 0);
  var->assign(count, 0);
  for_each_index(x, [&](const int* i) { (*mean)[statistic_of(mode, x, i[1], i[2], i[3])] += load(data, x.type, x.offset(i[0], i[1], i[2], i[3])); });
  for (double& v : *mean) v /= m;
  for_each_index(x, [&](const int* i) {
    double d = load(data, x.type, x.offset(i[0], i[1], i[2], i[3])) - (*mean)[statistic_of(mode, x, i[1], i[2], i[3])];
    (*var)[statistic_of(mode, x, i[1], i[2], i[3])] += d * d;
  });
  for (double& v : *var) v /= m;
}

}  // namespace
}  // namespace ddp4j_cudnn

using namespace ddp4j_cudnn;
using Desc = const void*;

extern "C" {

int cudnnSetTensor(Desc handle, Desc yd, void* y, const void* value) {
  const char* api = "cudnnSetTensor";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor t;
  if (int s = need_data(*h, yd, y, api, "y", &t)) return s;
  if (!computable(t.type)) return refuse(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": the emulator does not fill " + t.describe());
  if (value == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": valuePtr is NULL");
  double v = load(value, t.type, 0);
  return enqueued(ddp4j_emu::enqueue(h->stream, [t, y, v] { for_each_index(t, [&](const int* i) { store(y, t.type, offset_of(t, i), v); }); }), api);
}

// C = alpha * A + beta * C, A broadcast over C's dimensions where A has size 1.
int cudnnAddTensor(Desc handle, const void* alpha, Desc ad, const void* a, const void* beta, Desc cd, void* c) {
  const char* api = "cudnnAddTensor";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor A, C;
  if (int s = need_data(*h, ad, a, api, "A", &A)) return s;
  if (int s = need_data(*h, cd, c, api, "C", &C)) return s;
  if (!computable(C.type) || A.type != C.type) return refuse(NOT_SUPPORTED_DATA_TYPE, std::string(api) + ": the emulator adds tensors of one float type, got " + A.describe() + " and " + C.describe());
  bool fits = A.rank == C.rank;
  for (int i = 0; fits && i < A.rank; i++) fits = A.dims[i] == C.dims[i] || A.dims[i] == 1;
  if (!fits) return refuse(BAD_PARAM, std::string(api) + ": A " + A.describe() + " does not broadcast to C " + C.describe());
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, C.type), be = scalar(beta, C.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [A, C, a, c, al, be] {
    for_each_index(C, [&](const int* i) {
      int64_t from = 0;
      for (int d = 0; d < A.rank; d++) from += (A.dims[d] == 1 ? 0 : i[d]) * A.strides[d];
      blend(c, C.type, offset_of(C, i), load(a, A.type, from), al, be);
    });
  }), api);
}

// ---- pooling

int cudnnGetPooling2dForwardOutputDim(Desc pd, Desc xd, int* n, int* c, int* h, int* w) {
  const char* api = "cudnnGetPooling2dForwardOutputDim";
  Pooling p;
  if (int s = need_pooling(pd, api, &p)) return s;
  Tensor x;
  if (int s = need_tensor(xd, api, "inputTensorDesc", &x)) return s;
  if (x.rank != 4) return refuse(BAD_PARAM, std::string(api) + ": input " + x.describe() + " is not 4-d");
  if (n == nullptr || c == nullptr || h == nullptr || w == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": an output pointer is NULL");
  int oh = pooled_size(x.dims[2], p.pad_h, p.window_h, p.stride_h), ow = pooled_size(x.dims[3], p.pad_w, p.window_w, p.stride_w);
  if (oh <= 0 || ow <= 0) return refuse(BAD_PARAM, std::string(api) + ": the window is larger than input " + x.describe() + " with its padding");
  *n = x.dims[0], *c = x.dims[1], *h = oh, *w = ow;
  return SUCCESS;
}

int cudnnPoolingForward(Desc handle, Desc pd, const void* alpha, Desc xd, const void* x, const void* beta, Desc yd, void* y) {
  const char* api = "cudnnPoolingForward";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Pooling p;
  if (int s = need_pooling(pd, api, &p)) return s;
  Tensor X, Y;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_pooled(api, p, X, Y)) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [p, X, Y, x, y, al, be] {
    for_each_index(Y, [&](const int* i) {
      Window win = window_at(p, X, x, i[0], i[1], i[2], i[3]);
      double v = 0;
      if (is_max(p)) {
        v = win.value;
      } else {
        for (int r = win.h0; r < win.h1; r++)
          for (int s = win.w0; s < win.w1; s++) v += load(x, X.type, X.offset(i[0], i[1], r, s));
        v /= win.divisor;
      }
      blend(y, Y.type, offset_of(Y, i), v, al, be);
    });
  }), api);
}

// dx: max pooling routes each dy to its window's winner in x; averages spread it evenly.
int cudnnPoolingBackward(Desc handle, Desc pd, const void* alpha, Desc yd, const void* y, Desc dyd, const void* dy, Desc xd, const void* x,
                         const void* beta, Desc dxd, void* dx) {
  const char* api = "cudnnPoolingBackward";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Pooling p;
  if (int s = need_pooling(pd, api, &p)) return s;
  Tensor Y, DY, X, DX;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_data(*h, dyd, dy, api, "dy", &DY)) return s;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, dxd, dx, api, "dx", &DX)) return s;
  if (int s = need_pooled(api, p, X, Y)) return s;
  if (int s = need_alike(api, Y, "y", DY, "dy")) return s;
  if (int s = need_alike(api, X, "x", DX, "dx")) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [p, X, DY, DX, x, dy, dx, al, be] {
    std::vector<double> grad(static_cast<size_t>(X.elements()), 0.0);
    auto dense = [&X](int n, int c, int r, int s) { return ((static_cast<int64_t>(n) * X.dims[1] + c) * X.dims[2] + r) * X.dims[3] + s; };
    for_each_index(DY, [&](const int* i) {
      Window win = window_at(p, X, x, i[0], i[1], i[2], i[3]);
      double g = load(dy, DY.type, offset_of(DY, i));
      if (is_max(p)) {
        if (win.win_h >= 0) grad[dense(i[0], i[1], win.win_h, win.win_w)] += g;
        return;
      }
      for (int r = win.h0; r < win.h1; r++)
        for (int s = win.w0; s < win.w1; s++) grad[dense(i[0], i[1], r, s)] += g / win.divisor;
    });
    for_each_index(DX, [&](const int* i) { blend(dx, DX.type, offset_of(DX, i), grad[dense(i[0], i[1], i[2], i[3])], al, be); });
  }), api);
}

// ---- activation

int cudnnActivationForward(Desc handle, Desc ad, const void* alpha, Desc xd, const void* x, const void* beta, Desc yd, void* y) {
  const char* api = "cudnnActivationForward";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Activation a;
  if (int s = need_activation(ad, api, &a)) return s;
  Tensor X, Y;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_alike(api, X, "x", Y, "y")) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [a, X, Y, x, y, al, be] {
    for_each_index(X, [&](const int* i) { blend(y, Y.type, offset_of(Y, i), activate(a, load(x, X.type, offset_of(X, i))), al, be); });
  }), api);
}

int cudnnActivationBackward(Desc handle, Desc ad, const void* alpha, Desc yd, const void* y, Desc dyd, const void* dy, Desc xd, const void* x,
                            const void* beta, Desc dxd, void* dx) {
  const char* api = "cudnnActivationBackward";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Activation a;
  if (int s = need_activation(ad, api, &a)) return s;
  Tensor Y, DY, X, DX;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_data(*h, dyd, dy, api, "dy", &DY)) return s;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, dxd, dx, api, "dx", &DX)) return s;
  if (int s = need_alike(api, X, "x", Y, "y")) return s;
  if (int s = need_alike(api, X, "x", DY, "dy")) return s;
  if (int s = need_alike(api, X, "x", DX, "dx")) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [a, X, Y, DY, DX, x, y, dy, dx, al, be] {
    for_each_index(X, [&](const int* i) {
      double g = activate_backward(a, load(x, X.type, offset_of(X, i)), load(y, Y.type, offset_of(Y, i)), load(dy, DY.type, offset_of(DY, i)));
      blend(dx, DX.type, offset_of(DX, i), g, al, be);
    });
  }), api);
}

// ---- batch normalization

int cudnnDeriveBNTensorDescriptor(Desc derived, Desc xd, int mode) {
  const char* api = "cudnnDeriveBNTensorDescriptor";
  Tensor x;
  if (int s = need_tensor(xd, api, "xDesc", &x)) return s;
  Tensor* out = find_tensor(derived);
  if (out == nullptr) return refuse(BAD_PARAM, std::string(api) + ": derivedBnDesc is not a live tensor descriptor");
  if (mode < 0 || mode > 2) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnBatchNormMode_t " + std::to_string(mode));
  if (x.rank != 4) return refuse(NOT_SUPPORTED, std::string(api) + ": the emulator normalises 4-d tensors, got " + x.describe());
  Tensor d;
  d.set = true;
  d.type = param_type(x.type);
  d.rank = 4;
  d.dims[0] = 1, d.dims[1] = x.dims[1], d.dims[2] = spatial(mode) ? 1 : x.dims[2], d.dims[3] = spatial(mode) ? 1 : x.dims[3];
  d.strides[3] = 1, d.strides[2] = d.dims[3], d.strides[1] = static_cast<int64_t>(d.dims[2]) * d.dims[3], d.strides[0] = d.strides[1] * d.dims[1];
  *out = d;
  return SUCCESS;
}

int cudnnBatchNormalizationForwardTraining(Desc handle, int mode, const void* alpha, const void* beta, Desc xd, const void* x, Desc yd, void* y, Desc bnd,
                                           const void* scale, const void* bias, double factor, void* running_mean, void* running_var, double epsilon,
                                           void* save_mean, void* save_inv_std) {
  const char* api = "cudnnBatchNormalizationForwardTraining";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor X, Y, B;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_tensor(bnd, api, "bnScaleBiasMeanVarDesc", &B)) return s;
  if (int s = need_batch_norm(api, mode, X, Y, B)) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  if (epsilon < 0) return refuse(BAD_PARAM, std::string(api) + ": epsilon " + std::to_string(epsilon) + " is below CUDNN_BN_MIN_EPSILON (0)");
  if ((running_mean == nullptr) != (running_var == nullptr) || (save_mean == nullptr) != (save_inv_std == nullptr))
    return refuse(BAD_PARAM, std::string(api) + ": the running mean and variance, and the saved mean and inverse variance, are given in pairs or not at all");
  int64_t count = statistics_count(mode, X);
  void* params[6] = {const_cast<void*>(scale), const_cast<void*>(bias), running_mean, running_var, save_mean, save_inv_std};
  const char* names[6] = {"bnScale", "bnBias", "resultRunningMean", "resultRunningVariance", "resultSaveMean", "resultSaveInvVariance"};
  for (int i = 0; i < 6; i++) {
    if (i < 2 && params[i] == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": " + names[i] + " is NULL");
    if (params[i] != nullptr)
      if (int s = need_device_memory(*h, params[i], count, B.type, api, names[i])) return s;
  }
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [=] {
    std::vector<double> mean, var;
    moments(mode, X, x, &mean, &var);
    int64_t m = per_statistic(mode, X);
    for_each_index(X, [&](const int* i) {
      int64_t k = statistic_of(mode, X, i[1], i[2], i[3]);
      double normal = (load(x, X.type, X.offset(i[0], i[1], i[2], i[3])) - mean[k]) / std::sqrt(var[k] + epsilon);
      blend(y, Y.type, Y.offset(i[0], i[1], i[2], i[3]), load(scale, B.type, k) * normal + load(bias, B.type, k), al, be);
    });
    for (int64_t k = 0; k < count; k++) {
      if (running_mean != nullptr) {
        double unbiased = m > 1 ? var[k] * m / (m - 1) : var[k];
        store(running_mean, B.type, k, factor * mean[k] + (1 - factor) * load(running_mean, B.type, k));
        store(running_var, B.type, k, factor * unbiased + (1 - factor) * load(running_var, B.type, k));
      }
      if (save_mean != nullptr) {
        store(save_mean, B.type, k, mean[k]);
        store(save_inv_std, B.type, k, 1 / std::sqrt(var[k] + epsilon));
      }
    }
  }), api);
}

int cudnnBatchNormalizationForwardInference(Desc handle, int mode, const void* alpha, const void* beta, Desc xd, const void* x, Desc yd, void* y, Desc bnd,
                                            const void* scale, const void* bias, const void* mean, const void* var, double epsilon) {
  const char* api = "cudnnBatchNormalizationForwardInference";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor X, Y, B;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, yd, y, api, "y", &Y)) return s;
  if (int s = need_tensor(bnd, api, "bnScaleBiasMeanVarDesc", &B)) return s;
  if (int s = need_batch_norm(api, mode, X, Y, B)) return s;
  if (int s = need_scalars(alpha, beta, api)) return s;
  if (epsilon < 0) return refuse(BAD_PARAM, std::string(api) + ": epsilon " + std::to_string(epsilon) + " is below CUDNN_BN_MIN_EPSILON (0)");
  int64_t count = statistics_count(mode, X);
  const void* params[4] = {scale, bias, mean, var};
  const char* names[4] = {"bnScale", "bnBias", "estimatedMean", "estimatedVariance"};
  for (int i = 0; i < 4; i++) {
    if (params[i] == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": " + names[i] + " is NULL");
    if (int s = need_device_memory(*h, params[i], count, B.type, api, names[i])) return s;
  }
  double al = scalar(alpha, X.type), be = scalar(beta, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [=] {
    for_each_index(X, [&](const int* i) {
      int64_t k = statistic_of(mode, X, i[1], i[2], i[3]);
      double normal = (load(x, X.type, X.offset(i[0], i[1], i[2], i[3])) - load(mean, B.type, k)) / std::sqrt(load(var, B.type, k) + epsilon);
      blend(y, Y.type, Y.offset(i[0], i[1], i[2], i[3]), load(scale, B.type, k) * normal + load(bias, B.type, k), al, be);
    });
  }), api);
}

// dx = scale * inv_std / m * (m * dy - sum(dy) - x_hat * sum(dy * x_hat)); dscale = sum(dy * x_hat);
// dbias = sum(dy). The saved statistics are used when given, else computed again from x.
int cudnnBatchNormalizationBackward(Desc handle, int mode, const void* alpha_data, const void* beta_data, const void* alpha_param, const void* beta_param,
                                    Desc xd, const void* x, Desc dyd, const void* dy, Desc dxd, void* dx, Desc bnd, const void* scale, void* dscale,
                                    void* dbias, double epsilon, const void* saved_mean, const void* saved_inv_std) {
  const char* api = "cudnnBatchNormalizationBackward";
  Handle* h;
  if (int s = need_handle(handle, api, &h)) return s;
  Tensor X, DY, DX, B;
  if (int s = need_data(*h, xd, x, api, "x", &X)) return s;
  if (int s = need_data(*h, dyd, dy, api, "dy", &DY)) return s;
  if (int s = need_data(*h, dxd, dx, api, "dx", &DX)) return s;
  if (int s = need_tensor(bnd, api, "dBnScaleBiasDesc", &B)) return s;
  if (int s = need_batch_norm(api, mode, X, DY, B)) return s;
  if (int s = need_alike(api, X, "x", DX, "dx")) return s;
  if (int s = need_scalars(alpha_data, beta_data, api)) return s;
  if (int s = need_scalars(alpha_param, beta_param, api)) return s;
  if (epsilon < 0) return refuse(BAD_PARAM, std::string(api) + ": epsilon " + std::to_string(epsilon) + " is below CUDNN_BN_MIN_EPSILON (0)");
  if ((saved_mean == nullptr) != (saved_inv_std == nullptr))
    return refuse(BAD_PARAM, std::string(api) + ": savedMean and savedInvVariance are given together or not at all");
  int64_t count = statistics_count(mode, X);
  const void* params[5] = {scale, dscale, dbias, saved_mean, saved_inv_std};
  const char* names[5] = {"bnScale", "dBnScaleResult", "dBnBiasResult", "savedMean", "savedInvVariance"};
  for (int i = 0; i < 5; i++) {
    if (i < 3 && params[i] == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": " + names[i] + " is NULL");
    if (params[i] != nullptr)
      if (int s = need_device_memory(*h, params[i], count, B.type, api, names[i])) return s;
  }
  double ad = scalar(alpha_data, X.type), bd = scalar(beta_data, X.type), ap = scalar(alpha_param, X.type), bp = scalar(beta_param, X.type);
  return enqueued(ddp4j_emu::enqueue(h->stream, [=] {
    std::vector<double> mean(count), inv_std(count);
    if (saved_mean != nullptr) {
      for (int64_t k = 0; k < count; k++) mean[k] = load(saved_mean, B.type, k), inv_std[k] = load(saved_inv_std, B.type, k);
    } else {
      std::vector<double> var;
      moments(mode, X, x, &mean, &var);
      for (int64_t k = 0; k < count; k++) inv_std[k] = 1 / std::sqrt(var[k] + epsilon);
    }
    std::vector<double> sum_dy(count, 0), sum_dy_xhat(count, 0);
    auto x_hat = [&](const int* i, int64_t k) { return (load(x, X.type, X.offset(i[0], i[1], i[2], i[3])) - mean[k]) * inv_std[k]; };
    for_each_index(X, [&](const int* i) {
      int64_t k = statistic_of(mode, X, i[1], i[2], i[3]);
      double g = load(dy, DY.type, DY.offset(i[0], i[1], i[2], i[3]));
      sum_dy[k] += g;
      sum_dy_xhat[k] += g * x_hat(i, k);
    });
    double m = static_cast<double>(per_statistic(mode, X));
    for_each_index(X, [&](const int* i) {
      int64_t k = statistic_of(mode, X, i[1], i[2], i[3]);
      double g = load(dy, DY.type, DY.offset(i[0], i[1], i[2], i[3]));
      double grad = load(scale, B.type, k) * inv_std[k] / m * (m * g - sum_dy[k] - x_hat(i, k) * sum_dy_xhat[k]);
      blend(dx, DX.type, DX.offset(i[0], i[1], i[2], i[3]), grad, ad, bd);
    });
    for (int64_t k = 0; k < count; k++) {
      blend(dscale, B.type, k, sum_dy_xhat[k], ap, bp);
      blend(dbias, B.type, k, sum_dy[k], ap, bp);
    }
  }), api);
}

}  // extern "C"
