// The emulated cuDNN's library calls, statuses, handles and descriptors (libcudnn.so.9 with
// cudnn_convolution.cpp and cudnn_layers.cpp). Strict where cuDNN is strict and a little beyond:
// descriptor values are checked as cuDNN checks them (a negative size, a stride below 1, an
// unknown enum value are CUDNN_STATUS_BAD_PARAM), and an opaque pointer that is not a live object
// of the expected kind (never made, destroyed, or a filter passed as a tensor) is refused
// instead of read, where cuDNN would read freed memory. Every refusal leaves its reason for
// cudnnGetLastErrorString, which ddp4j puts in its exceptions.
#include "cudnn_emulated.h"
#include "live_objects.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>

namespace ddp4j_cudnn {

namespace {

constexpr size_t kVersion = 91400;       // reports itself as cuDNN 9.14.0, the GPU machine's
constexpr size_t kCudartVersion = 13000;  // built against CUDA 13.0

thread_local std::string last_error;

enum class Kind { Handle, Tensor, Filter, Convolution, Pooling, Activation };

template <class T>
T* find(const void* p, Kind kind) {
  return ddp4j_emu::live_objects<Kind>().find<T>(p, kind);
}

template <class T>
int create(T** out, Kind kind, const char* api) {
  if (out == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": the pointer to return the new object through is NULL");
  *out = ddp4j_emu::live_objects<Kind>().remember(new T(), kind);
  return SUCCESS;
}

template <class T>
int destroy(T* p, Kind kind, const char* api) {
  if (p == nullptr) return SUCCESS;  // cuDNN's destroy calls accept NULL
  if (!ddp4j_emu::live_objects<Kind>().forget(p, kind)) return refuse(BAD_PARAM, std::string(api) + ": not a live object of this kind (destroyed twice, or never made)");
  delete p;
  return SUCCESS;
}

const char* type_name(int type) {
  switch (type) {
    case FLOAT: return "float";
    case DOUBLE: return "double";
    case HALF: return "half";
    case BFLOAT16: return "bfloat16";
    default: return "an unsupported data type";
  }
}

// Every cudnnDataType_t of cuDNN 9 (including ones the emulator does not compute with).
bool known_type(int type) { return type >= 0 && type <= 13; }

std::string dims_text(const int* dims, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; i++) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

int need_positive(const int* dims, int rank, const char* api) {
  for (int i = 0; i < rank; i++)
    if (dims[i] <= 0) return refuse(BAD_PARAM, std::string(api) + ": dimension " + std::to_string(i) + " of " + dims_text(dims, rank) + " is not positive");
  return SUCCESS;
}

int set_tensor(Tensor* t, int type, int rank, const int* dims, const int64_t* strides, const char* api) {
  if (t == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live tensor descriptor");
  if (!known_type(type)) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnDataType_t " + std::to_string(type));
  if (int s = need_positive(dims, rank, api)) return s;
  for (int i = 0; i < rank; i++) {
    if (strides[i] <= 0) return refuse(BAD_PARAM, std::string(api) + ": stride " + std::to_string(i) + " is " + std::to_string(strides[i]) + ", not positive");
  }
  t->set = true;
  t->type = type;
  t->rank = rank;
  for (int i = 0; i < rank; i++) {
    t->dims[i] = dims[i];
    t->strides[i] = strides[i];
  }
  return SUCCESS;
}

}  // namespace

int refuse(int status, const std::string& why) {
  last_error = why;
  return status;
}

size_t element_size(int type) {
  switch (type) {
    case FLOAT: return 4;
    case DOUBLE: return 8;
    case HALF:
    case BFLOAT16: return 2;
    default: return 0;
  }
}

bool computable(int type) { return element_size(type) != 0; }

double load(const void* base, int type, int64_t i) {
  switch (type) {
    case FLOAT: return static_cast<const float*>(base)[i];
    case DOUBLE: return static_cast<const double*>(base)[i];
    case HALF: return __half2float(static_cast<const __half*>(base)[i]);
    default: return __bfloat162float(static_cast<const __nv_bfloat16*>(base)[i]);
  }
}

void store(void* base, int type, int64_t i, double v) {
  switch (type) {
    case FLOAT: static_cast<float*>(base)[i] = static_cast<float>(v); return;
    case DOUBLE: static_cast<double*>(base)[i] = v; return;
    case HALF: static_cast<__half*>(base)[i] = __float2half_rn(static_cast<float>(v)); return;
    default: static_cast<__nv_bfloat16*>(base)[i] = __float2bfloat16_rn(static_cast<float>(v)); return;
  }
}

void blend(void* out, int type, int64_t at, double value, double alpha, double beta) {
  double v = alpha * value;
  if (beta != 0) v += beta * load(out, type, at);
  store(out, type, at, v);
}

double scalar(const void* p, int type) {
  return type == DOUBLE ? *static_cast<const double*>(p) : *static_cast<const float*>(p);
}

int64_t Tensor::elements() const {
  int64_t n = 1;
  for (int i = 0; i < rank; i++) n *= dims[i];
  return n;
}

int64_t Tensor::span() const {
  int64_t last = 0;
  for (int i = 0; i < rank; i++) last += (dims[i] - 1) * strides[i];
  return last + 1;
}

std::string Tensor::describe() const { return std::string(type_name(type)) + " " + dims_text(dims, rank); }

std::string Filter::describe() const {
  int d[4] = {k, c, r, s};
  return std::string(type_name(type)) + " " + dims_text(d, 4) + (format == NCHW ? " KCRS" : " KRSC");
}

Handle* find_handle(const void* p) { return find<Handle>(p, Kind::Handle); }
Tensor* find_tensor(const void* p) { return find<Tensor>(p, Kind::Tensor); }
Filter* find_filter(const void* p) { return find<Filter>(p, Kind::Filter); }
Convolution* find_convolution(const void* p) { return find<Convolution>(p, Kind::Convolution); }
Pooling* find_pooling(const void* p) { return find<Pooling>(p, Kind::Pooling); }
Activation* find_activation(const void* p) { return find<Activation>(p, Kind::Activation); }

int need_handle(const void* h, const char* api, Handle** out) {
  *out = find_handle(h);
  if (*out == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live cudnnHandle_t (cudnnCreate it; it may have been destroyed)");
  return SUCCESS;
}

int need_tensor(const void* d, const char* api, const char* what, Tensor* out) {
  Tensor* t = find_tensor(d);
  if (t == nullptr) return refuse(BAD_PARAM, std::string(api) + ": " + what + " is not a live tensor descriptor");
  if (!t->set) return refuse(BAD_PARAM, std::string(api) + ": tensor descriptor " + what + " was created but never set");
  *out = *t;
  return SUCCESS;
}

int need_filter(const void* d, const char* api, const char* what, Filter* out) {
  Filter* f = find_filter(d);
  if (f == nullptr) return refuse(BAD_PARAM, std::string(api) + ": " + what + " is not a live filter descriptor");
  if (!f->set) return refuse(BAD_PARAM, std::string(api) + ": filter descriptor " + what + " was created but never set");
  *out = *f;
  return SUCCESS;
}

int need_device_memory(const Handle& h, const void* p, int64_t elements, int type, const char* api, const char* what) {
  return need_device_bytes(h, p, static_cast<size_t>(elements) * element_size(type), api, what);
}

int need_device_bytes(const Handle& h, const void* p, size_t bytes, const char* api, const char* what) {
  if (bytes == 0) return SUCCESS;
  if (p == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": device pointer " + what + " is NULL");
  std::string where = std::string(api) + ": " + what + " (" + std::to_string(bytes) + " bytes at " + std::to_string(reinterpret_cast<uintptr_t>(p)) + ")";
  if (!ddp4j_emu::is_device_range(p, bytes)) {
    ddp4j_emu::fail(cudaErrorIllegalAddress, where + " is not inside one device allocation");
    return refuse(EXECUTION_FAILED, where + " is not inside one device allocation");
  }
  if (ddp4j_emu::device_of(p) != h.device) {
    std::string why = where + " is memory of device " + std::to_string(ddp4j_emu::device_of(p)) + " but the handle was made on device " + std::to_string(h.device);
    ddp4j_emu::fail(cudaErrorIllegalAddress, why);
    return refuse(EXECUTION_FAILED, why);
  }
  return SUCCESS;
}

int need_data(const Handle& h, const void* desc, const void* data, const char* api, const char* name, Tensor* out) {
  if (int s = need_tensor(desc, api, (std::string(name) + "Desc").c_str(), out)) return s;
  return need_device_memory(h, data, out->span(), out->type, api, name);
}

int need_scalars(const void* alpha, const void* beta, const char* api) {
  if (alpha == nullptr || beta == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": alpha and beta must point to host scaling factors");
  return SUCCESS;
}

}  // namespace ddp4j_cudnn

using namespace ddp4j_cudnn;

extern "C" {

size_t cudnnGetVersion(void) { return kVersion; }

size_t cudnnGetCudartVersion(void) { return kCudartVersion; }

const char* cudnnGetErrorString(int status) {
  switch (status) {
    case 0: return "CUDNN_STATUS_SUCCESS";
    case 1001: return "CUDNN_STATUS_NOT_INITIALIZED";
    case 1002: return "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
    case 1003: return "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH";
    case 1004: return "CUDNN_STATUS_DEPRECATED";
    case 1005: return "CUDNN_STATUS_LICENSE_ERROR";
    case 1006: return "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
    case 1007: return "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
    case 1008: return "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
    case 2000: return "CUDNN_STATUS_BAD_PARAM";
    case 2001: return "CUDNN_STATUS_INVALID_VALUE";
    case 2002: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case 2003: return "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
    case 2004: return "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED";
    case 2005: return "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
    case 2006: return "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
    case 2007: return "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
    case 2008: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
    case 2009: return "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES";
    case 2010: return "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE";
    case 2011: return "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH";
    case 2012: return "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE";
    case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
    case 3001: return "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN";
    case 3002: return "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
    case 3003: return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
    case 3004: return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
    case 4000: return "CUDNN_STATUS_INTERNAL_ERROR";
    case 5000: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_STATUS_UNKNOWN";
  }
}

// The reason for this thread's latest failure, then forgotten, so it never describes a later one.
void cudnnGetLastErrorString(char* message, size_t max_size) {
  if (message == nullptr || max_size == 0) return;
  size_t n = last_error.size() < max_size - 1 ? last_error.size() : max_size - 1;
  std::memcpy(message, last_error.data(), n);
  message[n] = '\0';
  last_error.clear();
}

// ---- handle

int cudnnCreate(Handle** handle) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return refuse(NOT_INITIALIZED, "cudnnCreate: no current CUDA device");
  int s = create(handle, Kind::Handle, "cudnnCreate");
  if (s == SUCCESS) (*handle)->device = device;  // a handle works on the device current when it was made
  return s;
}

int cudnnDestroy(Handle* handle) { return destroy(handle, Kind::Handle, "cudnnDestroy"); }

int cudnnSetStream(Handle* handle, cudaStream_t stream) {
  Handle* h;
  if (int s = need_handle(handle, "cudnnSetStream", &h)) return s;
  h->stream = stream;
  return SUCCESS;
}

int cudnnGetStream(Handle* handle, cudaStream_t* stream) {
  Handle* h;
  if (int s = need_handle(handle, "cudnnGetStream", &h)) return s;
  if (stream == nullptr) return refuse(BAD_PARAM_NULL_POINTER, "cudnnGetStream: streamId is NULL");
  *stream = h->stream;
  return SUCCESS;
}

// ---- tensor descriptors

int cudnnCreateTensorDescriptor(Tensor** d) { return create(d, Kind::Tensor, "cudnnCreateTensorDescriptor"); }

int cudnnDestroyTensorDescriptor(Tensor* d) { return destroy(d, Kind::Tensor, "cudnnDestroyTensorDescriptor"); }

int cudnnSetTensor4dDescriptor(Tensor* d, int format, int type, int n, int c, int h, int w) {
  const char* api = "cudnnSetTensor4dDescriptor";
  int dims[4] = {n, c, h, w};
  int64_t strides[4];
  if (format == NCHW) {
    strides[3] = 1, strides[2] = w, strides[1] = static_cast<int64_t>(h) * w, strides[0] = static_cast<int64_t>(c) * h * w;
  } else if (format == NHWC) {
    strides[1] = 1, strides[3] = c, strides[2] = static_cast<int64_t>(w) * c, strides[0] = static_cast<int64_t>(h) * w * c;
  } else {
    return refuse(BAD_PARAM, std::string(api) + ": format " + std::to_string(format) + " is not NCHW (0) or NHWC (1)");
  }
  // a negative dimension makes negative strides too: name the dimension, which is the mistake
  if (int s = need_positive(dims, 4, api)) return s;
  return set_tensor(find_tensor(d), type, 4, dims, strides, api);
}

int cudnnSetTensor4dDescriptorEx(Tensor* d, int type, int n, int c, int h, int w, int ns, int cs, int hs, int ws) {
  int dims[4] = {n, c, h, w};
  int64_t strides[4] = {ns, cs, hs, ws};
  return set_tensor(find_tensor(d), type, 4, dims, strides, "cudnnSetTensor4dDescriptorEx");
}

int cudnnSetTensorNdDescriptor(Tensor* d, int type, int rank, const int* dims, const int* strides) {
  const char* api = "cudnnSetTensorNdDescriptor";
  if (rank < 3 || rank > kMaxDims) return refuse(BAD_PARAM, std::string(api) + ": nbDims " + std::to_string(rank) + " is not in 3..8");
  if (dims == nullptr || strides == nullptr) return refuse(BAD_PARAM_NULL_POINTER, std::string(api) + ": dimA or strideA is NULL");
  int64_t wide[kMaxDims];
  for (int i = 0; i < rank; i++) wide[i] = strides[i];
  return set_tensor(find_tensor(d), type, rank, dims, wide, api);
}

int cudnnGetTensorSizeInBytes(Tensor* d, size_t* size) {
  Tensor t;
  if (int s = need_tensor(d, "cudnnGetTensorSizeInBytes", "tensorDesc", &t)) return s;
  if (size == nullptr) return refuse(BAD_PARAM_NULL_POINTER, "cudnnGetTensorSizeInBytes: size is NULL");
  size_t width = element_size(t.type);
  if (width == 0) return refuse(NOT_SUPPORTED_DATA_TYPE, "cudnnGetTensorSizeInBytes: the emulator does not size " + t.describe());
  *size = static_cast<size_t>(t.span()) * width;
  return SUCCESS;
}

// ---- filter descriptors

int cudnnCreateFilterDescriptor(Filter** d) { return create(d, Kind::Filter, "cudnnCreateFilterDescriptor"); }

int cudnnDestroyFilterDescriptor(Filter* d) { return destroy(d, Kind::Filter, "cudnnDestroyFilterDescriptor"); }

int cudnnSetFilter4dDescriptor(Filter* d, int type, int format, int k, int c, int h, int w) {
  const char* api = "cudnnSetFilter4dDescriptor";
  Filter* f = find_filter(d);
  if (f == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live filter descriptor");
  if (!known_type(type)) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnDataType_t " + std::to_string(type));
  if (format != NCHW && format != NHWC) return refuse(BAD_PARAM, std::string(api) + ": format " + std::to_string(format) + " is not NCHW (0) or NHWC (1)");
  int dims[4] = {k, c, h, w};
  if (int s = need_positive(dims, 4, api)) return s;
  *f = Filter{true, type, format, k, c, h, w};
  return SUCCESS;
}

// ---- convolution descriptors

int cudnnCreateConvolutionDescriptor(Convolution** d) { return create(d, Kind::Convolution, "cudnnCreateConvolutionDescriptor"); }

int cudnnDestroyConvolutionDescriptor(Convolution* d) { return destroy(d, Kind::Convolution, "cudnnDestroyConvolutionDescriptor"); }

int cudnnSetConvolution2dDescriptor(Convolution* d, int pad_h, int pad_w, int u, int v, int dilation_h, int dilation_w, int mode, int compute) {
  const char* api = "cudnnSetConvolution2dDescriptor";
  Convolution* c = find_convolution(d);
  if (c == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live convolution descriptor");
  if (pad_h < 0 || pad_w < 0) return refuse(BAD_PARAM, std::string(api) + ": negative padding");
  if (u <= 0 || v <= 0) return refuse(BAD_PARAM, std::string(api) + ": strides must be positive");
  if (dilation_h <= 0 || dilation_w <= 0) return refuse(BAD_PARAM, std::string(api) + ": dilations must be positive");
  if (mode != 0 && mode != 1) return refuse(BAD_PARAM, std::string(api) + ": mode " + std::to_string(mode) + " is not CUDNN_CONVOLUTION or CUDNN_CROSS_CORRELATION");
  if (!computable(compute)) return refuse(BAD_PARAM, std::string(api) + ": compute type " + std::to_string(compute) + " is not float, double, half or bfloat16");
  int groups = c->groups, math = c->math_type;  // set by their own calls, kept across this one
  *c = Convolution{true, pad_h, pad_w, u, v, dilation_h, dilation_w, mode, compute, groups, math};
  return SUCCESS;
}

int cudnnSetConvolutionGroupCount(Convolution* d, int groups) {
  Convolution* c = find_convolution(d);
  if (c == nullptr) return refuse(BAD_PARAM, "cudnnSetConvolutionGroupCount: not a live convolution descriptor");
  if (groups < 1) return refuse(BAD_PARAM, "cudnnSetConvolutionGroupCount: groupCount " + std::to_string(groups) + " is below 1");
  c->groups = groups;
  return SUCCESS;
}

int cudnnSetConvolutionMathType(Convolution* d, int math) {
  Convolution* c = find_convolution(d);
  if (c == nullptr) return refuse(BAD_PARAM, "cudnnSetConvolutionMathType: not a live convolution descriptor");
  if (math < DEFAULT_MATH || math > FMA_MATH) return refuse(BAD_PARAM, "cudnnSetConvolutionMathType: unknown cudnnMathType_t " + std::to_string(math));
  c->math_type = math;
  return SUCCESS;
}

// ---- pooling and activation descriptors

int cudnnCreatePoolingDescriptor(Pooling** d) { return create(d, Kind::Pooling, "cudnnCreatePoolingDescriptor"); }

int cudnnDestroyPoolingDescriptor(Pooling* d) { return destroy(d, Kind::Pooling, "cudnnDestroyPoolingDescriptor"); }

int cudnnSetPooling2dDescriptor(Pooling* d, int mode, int nan_opt, int window_h, int window_w, int pad_h, int pad_w, int stride_h, int stride_w) {
  const char* api = "cudnnSetPooling2dDescriptor";
  Pooling* p = find_pooling(d);
  if (p == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live pooling descriptor");
  if (mode < 0 || mode > 3) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnPoolingMode_t " + std::to_string(mode));
  if (nan_opt != 0 && nan_opt != 1) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnNanPropagation_t " + std::to_string(nan_opt));
  if (window_h <= 0 || window_w <= 0 || stride_h <= 0 || stride_w <= 0 || pad_h < 0 || pad_w < 0)
    return refuse(BAD_PARAM, std::string(api) + ": window and stride must be positive and padding not negative");
  *p = Pooling{true, mode, nan_opt, window_h, window_w, pad_h, pad_w, stride_h, stride_w};
  return SUCCESS;
}

int cudnnCreateActivationDescriptor(Activation** d) { return create(d, Kind::Activation, "cudnnCreateActivationDescriptor"); }

int cudnnDestroyActivationDescriptor(Activation* d) { return destroy(d, Kind::Activation, "cudnnDestroyActivationDescriptor"); }

int cudnnSetActivationDescriptor(Activation* d, int mode, int nan_opt, double coef) {
  const char* api = "cudnnSetActivationDescriptor";
  Activation* a = find_activation(d);
  if (a == nullptr) return refuse(BAD_PARAM, std::string(api) + ": not a live activation descriptor");
  if (mode < 0 || mode > 6) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnActivationMode_t " + std::to_string(mode));
  if (nan_opt != 0 && nan_opt != 1) return refuse(BAD_PARAM, std::string(api) + ": unknown cudnnNanPropagation_t " + std::to_string(nan_opt));
  *a = Activation{true, mode, nan_opt, coef};
  return SUCCESS;
}

}  // extern "C"
