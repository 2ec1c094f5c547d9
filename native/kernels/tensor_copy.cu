// Tensor fill and copy/cast over any strides (the CUDA backend's fill and copy).
#include "tensor.cuh"

// out = scalar, converted to out's dtype as the CPU backend converts it; aux0 = 1: the value is
// the integer aux1 instead (exact in int64, rounded once into a float type).
DDP4J_KERNEL void ddp4j_tensor_fill(EwParams p) {
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    if (p.aux0 == 1) ddp4j_store_i64(p.out.ptr, p.out.dtype, off.o, p.aux1);
    else ddp4j_store(p.out.ptr, p.out.dtype, off.o, p.scalar);
  }
}

// out = a. Same dtype: the bits themselves (int64 above 2^53 and NaN payloads survive); from an
// integer type through the integer lane; otherwise through double, rounding like the CPU backend.
DDP4J_KERNEL void ddp4j_tensor_copy(EwParams p) {
  const bool raw = p.out.dtype == p.a.dtype, ints = ddp4j_is_integral(p.a.dtype);
  const int64_t t = p.out.dtype;
  DDP4J_FOR_EACH(i, p.n) {
    Offsets off = ddp4j_offsets(p, i);
    if (raw) {
      switch (t) {
        case DT_F64: case DT_I64:
          ((unsigned long long*)p.out.ptr)[off.o] = ((const unsigned long long*)p.a.ptr)[off.a]; break;
        case DT_F32: case DT_I32:
          ((unsigned int*)p.out.ptr)[off.o] = ((const unsigned int*)p.a.ptr)[off.a]; break;
        case DT_F16: case DT_BF16:
          ((unsigned short*)p.out.ptr)[off.o] = ((const unsigned short*)p.a.ptr)[off.a]; break;
        default:
          ((unsigned char*)p.out.ptr)[off.o] = ((const unsigned char*)p.a.ptr)[off.a]; break;
      }
    } else if (ints) {
      ddp4j_store_i64(p.out.ptr, t, off.o, ddp4j_load_i64(p.a.ptr, p.a.dtype, off.a));
    } else {
      ddp4j_store(p.out.ptr, t, off.o, ddp4j_load(p.a.ptr, p.a.dtype, off.a));
    }
  }
}
