package io.ddp4j.tensor.backend;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The chunk table the fused optimizer kernels read (native/kernels/optim_fused.cu). */
class MultiTensorPlanTest {

    @Test
    void oddSizesSplitIntoFullChunksAndOneShortTailEach() {
        long[] numels = {1, 65537, 0, 131072, 3};
        MultiTensorPlan plan = MultiTensorPlan.of(numels, 65536);
        assertEquals(5, plan.tensorCount());
        // tensor 0: one chunk of 1; tensor 1: 65536 + 1; tensor 2: none; tensor 3: two full; tensor 4: one of 3
        assertEquals(6, plan.chunkCount());
        int[] tensors = {0, 1, 1, 3, 3, 4};
        long[] starts = {0, 0, 65536, 0, 65536, 0};
        long[] lengths = {1, 65536, 1, 65536, 65536, 3};
        long covered = 0;
        for (int c = 0; c < plan.chunkCount(); c++) {
            assertEquals(tensors[c], plan.chunkTensor(c), "chunk " + c);
            assertEquals(starts[c], plan.chunkStart(c), "chunk " + c);
            assertEquals(lengths[c], plan.chunkLength(c), "chunk " + c);
            covered += plan.chunkLength(c);
        }
        long total = 0;
        for (long n : numels) total += n;
        assertEquals(total, covered, "every element is in exactly one chunk");
    }

    @Test
    void theTableHoldsTheTensorRowsThenTheChunks() {
        MultiTensorPlan plan = MultiTensorPlan.of(new long[]{5, 12}, 4);
        assertEquals(5, plan.chunkCount()); // 5 -> [0,4) [4,5); 12 -> [0,4) [4,8) [8,12)
        long[][] rows = new long[2][MultiTensorPlan.TENSOR_SLOTS];
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < MultiTensorPlan.TENSOR_SLOTS; i++) rows[t][i] = 100 * (t + 1) + i;
        long[] table = plan.table(rows);
        assertEquals(2 * MultiTensorPlan.TENSOR_SLOTS, plan.chunksOffset());
        assertEquals(plan.chunksOffset() + 2L * plan.chunkCount(), table.length);
        assertArrayEquals(new long[]{100, 101, 102, 103, 5, 105, 106, 107}, java.util.Arrays.copyOfRange(table, 0, 8), "numel written into slot 4");
        assertArrayEquals(new long[]{200, 201, 202, 203, 12, 205, 206, 207}, java.util.Arrays.copyOfRange(table, 8, 16));
        assertArrayEquals(new long[]{0, 0, 0, 4, 1, 0, 1, 4, 1, 8}, java.util.Arrays.copyOfRange(table, 16, table.length));
    }

    @Test
    void emptyInputsAndBadArgumentsAreHandled() {
        assertEquals(0, MultiTensorPlan.of(new long[0], 8).chunkCount());
        assertEquals(0, MultiTensorPlan.of(new long[]{0, 0}, 8).chunkCount());
        assertEquals(1, MultiTensorPlan.of(new long[]{8}, 8).chunkCount(), "an exact multiple has no empty tail chunk");
        assertThrows(IllegalArgumentException.class, () -> MultiTensorPlan.of(new long[]{1}, 0));
        assertThrows(IllegalArgumentException.class, () -> MultiTensorPlan.of(new long[]{-1}, 8));
        MultiTensorPlan p = MultiTensorPlan.of(new long[]{1}, 8);
        assertThrows(IllegalArgumentException.class, () -> p.table(new long[][]{new long[3]}));
        assertThrows(IllegalArgumentException.class, () -> p.table(new long[0][]));
    }
}
