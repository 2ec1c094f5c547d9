// What the three files of the emulated cuDNN share (cudnn_descriptors.cpp: statuses, handles and
// descriptors; cudnn_convolution.cpp: the convolution passes and their algorithm search;
// cudnn_layers.cpp: pooling, activation, batch norm and the tensor ops). cudnn.h is not part of
// the CUDA toolkit, so the types are declared here with the values of cuDNN 9's headers, the
// same values io.ddp4j.bindings.cudnn.CudnnConstants transcribes.
#pragma once
#include "emulator.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ddp4j_cudnn {

// cudnnStatus_t: cuDNN 9 numbers them category * 1000 + detail.
enum Status {
  SUCCESS = 0,
  NOT_INITIALIZED = 1001,
  BAD_PARAM = 2000,
  BAD_PARAM_NULL_POINTER = 2002,
  BAD_PARAM_SIZE_INSUFFICIENT = 2006,
  BAD_PARAM_SHAPE_MISMATCH = 2008,
  BAD_PARAM_DESCRIPTOR_TYPE = 2012,
  NOT_SUPPORTED = 3000,
  NOT_SUPPORTED_SHAPE = 3002,
  NOT_SUPPORTED_DATA_TYPE = 3003,
  NOT_SUPPORTED_LAYOUT = 3004,
  INTERNAL_ERROR = 4000,
  EXECUTION_FAILED = 5000,
};

// cudnnDataType_t values the emulator computes with; others are refused as not supported.
enum DataType { FLOAT = 0, DOUBLE = 1, HALF = 2, BFLOAT16 = 9 };
enum TensorFormat { NCHW = 0, NHWC = 1 };
enum MathType { DEFAULT_MATH = 0, TENSOR_OP_MATH = 1, TENSOR_OP_MATH_ALLOW_CONVERSION = 2, FMA_MATH = 3 };
enum Determinism { NON_DETERMINISTIC = 0, DETERMINISTIC = 1 };

constexpr int kMaxDims = 8;  // CUDNN_DIM_MAX

// Records the reason for a failing status where cudnnGetLastErrorString finds it (this thread's
// latest), and returns the status, so a refusal reads `return refuse(BAD_PARAM, "why")`.
int refuse(int status, const std::string& why);

// Bytes per element of a data type the emulator computes with; 0 for any other.
size_t element_size(int type);
double load(const void* base, int type, int64_t index);
void store(void* base, int type, int64_t index, double value);
// out[at] = alpha * value + beta * out[at], where beta = 0 never reads out (it may hold NaN), as in cuDNN.
void blend(void* out, int type, int64_t at, double value, double alpha, double beta);
// A host scaling factor (alpha, beta): a double for DOUBLE tensors, else a float, as cuDNN reads it.
double scalar(const void* p, int type);

struct Handle {
  int device;
  cudaStream_t stream;
};

// A tensor descriptor's content, copied by value into the work a call enqueues: cuDNN reads a
// descriptor at the call, so the caller may change or destroy it before the work runs.
struct Tensor {
  bool set = false;
  int type = FLOAT;
  int rank = 0;
  int dims[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};

  int64_t elements() const;
  // Elements from the first to one past the last the tensor touches (its strides may leave gaps).
  int64_t span() const;
  int64_t offset(int n, int c, int h, int w) const {
    return n * strides[0] + c * strides[1] + h * strides[2] + w * strides[3];
  }
  std::string describe() const;  // e.g. "float [2, 3, 4, 5]"
};

// A filter: packed, K x C x R x S in NCHW format (KCRS) or K x R x S x C in NHWC format.
struct Filter {
  bool set = false;
  int type = FLOAT;
  int format = NCHW;
  int k = 0, c = 0, r = 0, s = 0;

  int64_t elements() const { return static_cast<int64_t>(k) * c * r * s; }
  int64_t offset(int ki, int ci, int ri, int si) const {
    return format == NCHW ? ((static_cast<int64_t>(ki) * c + ci) * r + ri) * s + si
                          : ((static_cast<int64_t>(ki) * r + ri) * s + si) * c + ci;
  }
  std::string describe() const;
};

struct Convolution {
  bool set = false;
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int mode = 1;  // CUDNN_CONVOLUTION 0 flips the filter; CUDNN_CROSS_CORRELATION 1 does not
  int compute_type = FLOAT;
  int groups = 1;
  int math_type = DEFAULT_MATH;
};

struct Pooling {
  bool set = false;
  int mode = 0, nan_opt = 0, window_h = 0, window_w = 0, pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1;
};

struct Activation {
  bool set = false;
  int mode = 1, nan_opt = 0;
  double coef = 0;
};

// The live objects of one kind, looked up from the opaque pointers callers pass: a pointer that
// was never made, was destroyed or is of another kind is refused instead of dereferenced.
// Null when `p` is not a live object of that kind.
Handle* find_handle(const void* p);
Tensor* find_tensor(const void* p);
Filter* find_filter(const void* p);
Convolution* find_convolution(const void* p);
Pooling* find_pooling(const void* p);
Activation* find_activation(const void* p);

// Refusals shared by every operation: the handle, a set descriptor of the right kind and the
// device memory a tensor spans. Each returns SUCCESS or the status the call should return.
int need_handle(const void* h, const char* api, Handle** out);
int need_tensor(const void* d, const char* api, const char* what, Tensor* out);
int need_filter(const void* d, const char* api, const char* what, Filter* out);
// `p` holds `elements` elements of `type` in device memory of the handle's device; 0 elements
// need no memory. A pointer outside device memory is reported as a GPU reports it (a sticky
// illegal address) and refused with EXECUTION_FAILED.
int need_device_memory(const Handle& h, const void* p, int64_t elements, int type, const char* api, const char* what);
int need_device_bytes(const Handle& h, const void* p, size_t bytes, const char* api, const char* what);
// A tensor operand: its descriptor (`name` + "Desc") set, and its data in the handle's device memory.
int need_data(const Handle& h, const void* desc, const void* data, const char* api, const char* name, Tensor* out);
int need_scalars(const void* alpha, const void* beta, const char* api);
// Whether a computing operation takes this data type (float, double, half, bfloat16).
bool computable(int type);

}  // namespace ddp4j_cudnn
