package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The strided launches' index arithmetic, against the CPU backend's own walk over views. */
class LayoutsTest {

    /** Reads a view through the kernels' arithmetic: base values at offset + Layouts.offset(collapsed). */
    private static double[] readLikeKernel(double[] base, Tensor view) {
        Layouts.Collapsed c = Layouts.collapse(view.shape(), view.strides());
        double[] out = new double[(int) view.numel()];
        for (int i = 0; i < out.length; i++) out[i] = base[(int) (view.offset() + Layouts.offset(c.shape(), c.strides()[0], i))];
        return out;
    }

    @Test
    void collapsedLayoutsVisitTheSameElementsAsTheCpuBackend() {
        try (Scope s = Scope.open()) {
            Tensor base = Tensor.arange(0, 2 * 3 * 4 * 5, 1, DType.F64).reshape(2, 3, 4, 5);
            double[] values = base.toDoubleArray();
            Tensor[] views = {
                    base,
                    base.permute(3, 1, 0, 2),
                    base.transpose(1, 2),
                    base.narrow(3, 1, 3),
                    base.narrow(1, 1, 2).narrow(3, 0, 4),
                    base.narrow(0, 1, 1).unsqueeze(2).expand(1, 3, 7, 4, 5),
                    base.narrow(2, 2, 1),
                    base.reshape(6, 20).t(),
            };
            for (Tensor v : views) assertArrayEquals(v.toDoubleArray(), readLikeKernel(values, v), 0, "view " + v.describe());
        }
    }

    @Test
    void contiguousAndBroadcastOperandsMergeToFewDims() {
        int[] shape = {4, 5, 6};
        long[] dense = {30, 6, 1};
        Layouts.Collapsed c = Layouts.collapse(shape, dense, dense);
        assertArrayEquals(new int[]{120}, c.shape());
        assertArrayEquals(new long[]{1}, c.strides()[0]);
        // a row vector broadcast over the first two dims: [4*5] x [6], the broadcast dims merged with stride 0
        Layouts.Collapsed b = Layouts.collapse(shape, dense, new long[]{0, 0, 1});
        assertArrayEquals(new int[]{20, 6}, b.shape());
        assertArrayEquals(new long[]{6, 1}, b.strides()[0]);
        assertArrayEquals(new long[]{0, 1}, b.strides()[1]);
        // size-1 dims vanish; a 0-d tensor and an all-ones shape have rank 0; an empty one is [0]
        assertEquals(0, Layouts.collapse(new int[]{1, 1}, new long[]{7, 3}).rank());
        assertEquals(0, Layouts.collapse(new int[0], new long[0]).rank());
        assertArrayEquals(new int[]{0}, Layouts.collapse(new int[]{3, 0, 2}, new long[]{0, 2, 1}).shape());
    }

    @Test
    void randomLayoutsKeepEveryOffset() {
        Random r = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int rank = 1 + r.nextInt(6);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) shape[d] = 1 + r.nextInt(4);
            long[][] strides = new long[3][rank];
            for (long[] st : strides) {
                // a random permutation of dense strides, with some dims broadcast (stride 0)
                long step = 1 + r.nextInt(2);
                int[] perm = shuffled(rank, r);
                for (int d : perm) {
                    st[d] = r.nextInt(5) == 0 ? 0 : step;
                    step *= shape[d] + r.nextInt(2);
                }
            }
            Layouts.Collapsed c = Layouts.collapse(shape, strides);
            assertTrue(c.rank() <= rank);
            long n = Layouts.numel(shape);
            assertEquals(n, Layouts.numel(c.shape()));
            for (long i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                    assertEquals(Layouts.offset(shape, strides[k], i), Layouts.offset(c.shape(), c.strides()[k], i), "trial " + trial + " " + c);
        }
    }

    private static int[] shuffled(int n, Random r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @Test
    void gridsCoverSmallLaunchesAndCapLargeOnes() {
        assertEquals(1, Layouts.gridFor(1, 256));
        assertEquals(1, Layouts.gridFor(256, 256));
        assertEquals(2, Layouts.gridFor(257, 256));
        assertEquals(1 << 16, Layouts.gridFor(1L << 40, 256));
    }

    @Test
    void tooManyDimsAfterMergingIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> Layouts.checkRank("add", 9));
        assertTrue(e.getMessage().contains("at most 8"), e.getMessage());
    }

    @Test
    void slotsWriteEightBytesPerField() {
        Slots s = new Slots(java.lang.foreign.MemorySegment.ofArray(new long[16]));
        s.reset().put(5).putDouble(1.5).put(new long[]{7, 8}, 3).put(new int[]{9}, 2);
        assertEquals(7, s.count());
        assertEquals(5, s.get(0));
        assertEquals(1.5, s.getDouble(1));
        assertEquals(7, s.get(2));
        assertEquals(8, s.get(3));
        assertEquals(0, s.get(4));
        assertEquals(9, s.get(5));
        assertEquals(0, s.get(6));
    }
}
