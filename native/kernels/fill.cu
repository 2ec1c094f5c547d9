// fill: out[i] = value, the kernel behind zeros/ones/full.
#include "common.cuh"

DDP4J_KERNEL void ddp4j_fill_f32(float* out, float value, int64_t n) {
  DDP4J_FOR_EACH(i, n) out[i] = value;
}

DDP4J_KERNEL void ddp4j_fill_f64(double* out, double value, int64_t n) {
  DDP4J_FOR_EACH(i, n) out[i] = value;
}

DDP4J_KERNEL void ddp4j_fill_i32(int32_t* out, int32_t value, int64_t n) {
  DDP4J_FOR_EACH(i, n) out[i] = value;
}
