// index_select and index_add along one dim, any strides; indices are int64.
#include "tensor.cuh"

// out = x.index_select(dim, index). shape = out's shape; op = dim; aux0 = error slot;
// aux1 = x's size along dim; a = x (strides of x, the dim's entry used with the picked index);
// b = index (I64, strides[0] its stride).
DDP4J_KERNEL void ddp4j_tensor_index_select(EwParams p) {
  const int dim = (int)p.op;
  const bool ints = ddp4j_is_integral(p.a.dtype);  // int64 values above 2^53 are moved exactly
  DDP4J_FOR_EACH(i, p.n) {
    int64_t rem = i, xo = 0, oo = 0, k = 0;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      int64_t j = rem % p.shape[d];
      rem /= p.shape[d];
      oo += j * p.out.strides[d];
      if (d == dim) k = j; else xo += j * p.a.strides[d];
    }
    long long src = ((const long long*)p.b.ptr)[k * p.b.strides[0]];
    if (src < 0 || src >= p.aux1) {
      ddp4j_report((long long*)p.aux0, 2, k, src, p.aux1);
      ddp4j_store(p.out.ptr, p.out.dtype, oo, 0.0);
      continue;
    }
    xo += src * p.a.strides[dim];
    if (ints) ddp4j_store_i64(p.out.ptr, p.out.dtype, oo, ddp4j_load_i64(p.a.ptr, p.a.dtype, xo));
    else ddp4j_store(p.out.ptr, p.out.dtype, oo, ddp4j_load(p.a.ptr, p.a.dtype, xo));
  }
}

// out.index_add_(dim, index, src), deterministic: one thread per position of src with the dim
// removed walks the indices in order and adds each slice element into out (no atomics).
// shape = src's shape with shape[dim] = 1; n = its element count; op = dim; aux0 = error slot;
// aux1 = out's size along dim; scalar = the number of indices; out = out; a = src; b = index.
DDP4J_KERNEL void ddp4j_tensor_index_add(EwParams p) {
  const int dim = (int)p.op;
  const int64_t count = (int64_t)p.scalar;
  const bool f = ddp4j_is_float32ish(p.out.dtype);
  const bool ints = ddp4j_is_integral(p.out.dtype) && ddp4j_is_integral(p.a.dtype);
  DDP4J_FOR_EACH(i, p.n) {
    Offsets base = ddp4j_offsets(p, i);
    for (int64_t k = 0; k < count; k++) {
      long long to = ((const long long*)p.b.ptr)[k * p.b.strides[0]];
      if (to < 0 || to >= p.aux1) {
        ddp4j_report((long long*)p.aux0, 3, k, to, p.aux1);
        continue;
      }
      int64_t so = base.a + k * p.a.strides[dim], oo = base.o + to * p.out.strides[dim];
      if (ints) ddp4j_store_i64(p.out.ptr, p.out.dtype, oo, ddp4j_wrap_add(ddp4j_load_i64(p.out.ptr, p.out.dtype, oo), ddp4j_load_i64(p.a.ptr, p.a.dtype, so)));
      else if (f) ddp4j_storef(p.out.ptr, p.out.dtype, oo, ddp4j_loadf(p.out.ptr, p.out.dtype, oo) + ddp4j_loadf(p.a.ptr, p.a.dtype, so));
      else ddp4j_store(p.out.ptr, p.out.dtype, oo, ddp4j_load(p.out.ptr, p.out.dtype, oo) + ddp4j_load(p.a.ptr, p.a.dtype, so));
    }
  }
}
