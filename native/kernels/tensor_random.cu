// uniform and normal numbers from Philox4x32-10, the same streams as the CPU backend's
// (io.ddp4j.tensor.backend.cpu.Philox): element i of uniform comes from counter offset + i/4,
// lane i%4; element i of normal from counter offset + i/2, lanes 2(i%2) and 2(i%2)+1 by
// Box-Muller in double. The key is the 64-bit seed, the counter's high words are 0.
#include "tensor.cuh"

__device__ inline void ddp4j_philox(unsigned long long counter, unsigned long long seed, unsigned int out[4]) {
  unsigned int c0 = (unsigned int)counter, c1 = (unsigned int)(counter >> 32), c2 = 0, c3 = 0;
  unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; round++) {
    unsigned int hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
    unsigned int hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
    unsigned int n0 = hi1 ^ c1 ^ k0;
    unsigned int n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// Philox.toUnit: the top `bits` bits of u scaled to [0, 1), exact in double.
__device__ inline double ddp4j_to_unit(unsigned int u, int bits) {
  return (double)(u >> (32 - bits)) * ldexp(1.0, -bits);
}

// aux0 = seed, aux1 = counter offset, op = significand bits of the dtype; shape/out as usual.
DDP4J_KERNEL void ddp4j_tensor_uniform(EwParams p) {
  int64_t blocks = (p.n + 3) / 4;
  DDP4J_FOR_EACH(c, blocks) {
    unsigned int r[4];
    ddp4j_philox((unsigned long long)(p.aux1 + c), (unsigned long long)p.aux0, r);
    for (int lane = 0; lane < 4; lane++) {
      int64_t i = c * 4 + lane;
      if (i < p.n) {
        Offsets off = ddp4j_offsets(p, i);
        ddp4j_store(p.out.ptr, p.out.dtype, off.o, ddp4j_to_unit(r[lane], (int)p.op));
      }
    }
  }
}

DDP4J_KERNEL void ddp4j_tensor_normal(EwParams p) {
  int64_t blocks = (p.n + 1) / 2;
  const double two_pi = 2.0 * 3.141592653589793;  // Java's 2 * Math.PI
  DDP4J_FOR_EACH(c, blocks) {
    unsigned int r[4];
    ddp4j_philox((unsigned long long)(p.aux1 + c), (unsigned long long)p.aux0, r);
    for (int k = 0; k < 2; k++) {
      int64_t i = c * 2 + k;
      if (i >= p.n) break;
      double u1 = (double)((unsigned long long)r[2 * k] + 1ull) * 0x1.0p-32;
      double u2 = ddp4j_to_unit(r[2 * k + 1], 32);
      double radius = sqrt(__dmul_rn(-2.0, log(u1)));
      double angle = __dmul_rn(two_pi, u2);
      Offsets off = ddp4j_offsets(p, i);
      ddp4j_store(p.out.ptr, p.out.dtype, off.o, __dmul_rn(radius, cos(angle)));
    }
  }
}
