package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The CPU reference the GPU tests compare NCCL with must itself be right. */
class NcclReferenceTest {
    private static final float[] A = {1f, -2f, 3.5f}, B = {4f, 6f, -0.5f};

    @Test
    void reducesElementWiseOverRanks() {
        assertArrayEquals(new float[] {5f, 4f, 3f}, NcclReference.reduce(List.of(A, B), Nccl.ncclSum));
        assertArrayEquals(new float[] {2.5f, 2f, 1.5f}, NcclReference.reduce(List.of(A, B), Nccl.ncclAvg));
        assertArrayEquals(new float[] {4f, 6f, 3.5f}, NcclReference.reduce(List.of(A, B), Nccl.ncclMax));
        assertArrayEquals(new float[] {1f, -2f, -0.5f}, NcclReference.reduce(List.of(A, B), Nccl.ncclMin));
        assertArrayEquals(new float[] {4f, -12f, -1.75f}, NcclReference.reduce(List.of(A, B), Nccl.ncclProd));
        assertArrayEquals(A, NcclReference.reduce(List.of(A), Nccl.ncclAvg));
    }

    @Test
    void bfloat16IsTheUpperHalfOfAFloat() {
        assertEquals((short) 0x3fc0, NcclReference.toBf16(1.5f));
        assertEquals((short) 0xc100, NcclReference.toBf16(-8f));
        float[] v = {-8f, -0.25f, 0f, 0.75f, 7.75f};
        assertArrayEquals(v, NcclReference.fromBf16(NcclReference.toBf16(v)));
        assertThrows(IllegalArgumentException.class, () -> NcclReference.toBf16(0.1f));
    }

    @Test
    void float16RoundTripsExactValuesOnly() {
        float[] v = {-8f, -0.25f, 0f, 0.75f, 7.75f, -77f};
        assertArrayEquals(v, NcclReference.fromF16(NcclReference.toF16(v)));
        assertEquals((short) 0x3c00, NcclReference.toF16(new float[] {1f})[0]);
        assertThrows(IllegalArgumentException.class, () -> NcclReference.toF16(new float[] {0.1f}));
    }
}
