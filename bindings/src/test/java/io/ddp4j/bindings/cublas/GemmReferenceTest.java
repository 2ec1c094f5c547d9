package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The CPU reference itself, on products small enough to check by hand. */
class GemmReferenceTest {

    @Test
    void columnMajorGemmWithTransposes() {
        // A = [[1,2],[3,4]] column-major is {1,3,2,4}; B = [[5,6],[7,8]] is {5,7,6,8}.
        float[] a = {1, 3, 2, 4}, b = {5, 7, 6, 8};
        // A B = [[19,22],[43,50]]
        assertArrayEquals(new float[] {19, 43, 22, 50},
                GemmReference.gemm(Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, 2, 2, 2, 1f, a, 2, b, 2, 0f, new float[4], 2));
        // A^T B = [[1,3],[2,4]] [[5,6],[7,8]] = [[26,30],[38,44]]
        assertArrayEquals(new float[] {26, 38, 30, 44},
                GemmReference.gemm(Cublas.CUBLAS_OP_T, Cublas.CUBLAS_OP_N, 2, 2, 2, 1f, a, 2, b, 2, 0f, new float[4], 2));
        // 2 A B^T + 1 C with C = ones: A B^T = [[17,23],[39,53]]
        assertArrayEquals(new float[] {35, 79, 47, 107},
                GemmReference.gemm(Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_T, 2, 2, 2, 2f, a, 2, b, 2, 1f, new float[] {1, 1, 1, 1}, 2));
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, GemmReference.toBf16(1.0f));
        // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: ties go to the even mantissa, 1.
        assertEquals(1.0f, GemmReference.fromBf16(GemmReference.toBf16(1f + 0x1p-8f)));
        // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
        assertEquals(1f + 0x1p-6f, GemmReference.fromBf16(GemmReference.toBf16(1f + 3 * 0x1p-8f)));
        assertEquals(-2.5f, GemmReference.fromBf16(GemmReference.toBf16(-2.5f)));
    }
}
