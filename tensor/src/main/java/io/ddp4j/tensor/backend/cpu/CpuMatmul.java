package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.TensorData;

/**
 * Batched matrix product over dense double copies: each output element is a double sum over k in
 * ascending order, rounded to the output dtype once ({@link CpuGemm}). Work is split into tasks
 * of whole row blocks, so results do not depend on the number of threads.
 */
final class CpuMatmul {
    /** Rows of the output per work item. */
    private static final int ROWS = 16;

    private CpuMatmul() {}

    static void batched(TensorData a, TensorData b, TensorData out) {
        int batch = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
        if ((long) batch * m * n == 0) return;
        // the calling thread's scratch: it waits in forRange until every task has read them
        double[] x = readBatched(a, CpuScratch.OPERAND_A), y = readBatched(b, CpuScratch.OPERAND_B);
        boolean xShared = a.strides()[0] == 0 && batch > 1, yShared = b.strides()[0] == 0 && batch > 1;
        int blocksPerMatrix = (m + ROWS - 1) / ROWS;
        long tasks = (long) batch * blocksPerMatrix;
        long flopsPerBlock = (long) ROWS * k * n;
        CpuParallel.forRange(tasks, Math.max(1, (1 << 18) / Math.max(1, flopsPerBlock)), (from, to) -> {
            double[] c = CpuScratch.get(CpuScratch.OUTPUT, ROWS * n);
            for (long t = from; t < to; t++) {
                int bi = (int) (t / blocksPerMatrix), i0 = (int) (t % blocksPerMatrix) * ROWS;
                int rows = Math.min(ROWS, m - i0);
                int xBase = (xShared ? 0 : bi * m * k) + i0 * k, yBase = yShared ? 0 : bi * k * n;
                CpuGemm.gemm(x, xBase, k, y, yBase, n, c, 0, n, rows, n, k);
                CpuAccess.write(c, 0, out, ((long) bi * m + i0) * n, rows * n);
            }
        });
    }

    /** The operand as dense doubles in this thread's scratch {@code slot}; a batch broadcast with stride 0 is read once. */
    private static double[] readBatched(TensorData t, int slot) {
        if (t.shape()[0] > 1 && t.strides()[0] == 0) {
            int[] one = t.shape().clone();
            one[0] = 1;
            return CpuAccess.readAll(t.withLayout(one, t.strides(), t.offset()), slot);
        }
        return CpuAccess.readAll(t, slot);
    }
}
