package io.ddp4j.tensor.backend.cpu;

/**
 * Per-thread double arrays that the cpu kernels copy their operands into, kept from one call to
 * the next. A matrix product reads both operands as doubles; fresh arrays each time cost the
 * zeroing of memory that is overwritten anyway plus the garbage collections: measured on the
 * overlap experiment's 8-layer MLP, about 60 MB of arrays per training step and a young
 * collection every second step. Arrays above {@link #MAX_CACHED_ELEMENTS} are not kept.
 *
 * <p>A slot holds one kernel's data at a time: the operand slots belong to the thread that called
 * the op until it returns (it waits in {@link CpuParallel#forRange} while the tasks read them), the
 * output slot to one leaf task, and a leaf task never starts another op on its thread.
 */
final class CpuScratch {
    /** Slots a kernel may hold at once; each slot has its own array. */
    static final int OPERAND_A = 0, OPERAND_B = 1, OUTPUT = 2;
    private static final int SLOTS = 3;
    /** 4 Mi doubles (32 MiB) per slot and thread at most. */
    static final int MAX_CACHED_ELEMENTS = 4 << 20;
    private static final ThreadLocal<double[][]> ARRAYS = ThreadLocal.withInitial(() -> new double[SLOTS][]);

    private CpuScratch() {}

    /**
     * An array of at least {@code n} elements with unspecified contents, this thread's for
     * {@code slot} until its next call with the same slot.
     */
    static double[] get(int slot, int n) {
        if (n > MAX_CACHED_ELEMENTS) return new double[n];
        double[][] mine = ARRAYS.get();
        double[] a = mine[slot];
        if (a == null || a.length < n) mine[slot] = a = new double[n];
        return a;
    }
}
