package io.ddp4j.tensor.backend;

import java.util.Arrays;

/**
 * How a multi-tensor launch splits its tensors into chunks, and the table the kernels read
 * (native/kernels/optim_fused.cu): first {@link #TENSOR_SLOTS} int64 per tensor, then two per
 * chunk (tensor index, first element). Every chunk but a tensor's last has {@code chunkSize}
 * elements; empty tensors get no chunk. One block of the launch takes one chunk at a time.
 */
public final class MultiTensorPlan {
    /** int64 slots per tensor in the table (DDP4J_MT_TENSOR_SLOTS). */
    public static final int TENSOR_SLOTS = 8;
    /** Elements per chunk: PyTorch's multi_tensor_apply uses 65536 too. */
    public static final long DEFAULT_CHUNK = 1 << 16;

    private final long[] numels;
    private final long chunkSize;
    private final long[] chunks; // 2 per chunk

    private MultiTensorPlan(long[] numels, long chunkSize, long[] chunks) {
        this.numels = numels;
        this.chunkSize = chunkSize;
        this.chunks = chunks;
    }

    public static MultiTensorPlan of(long[] numels, long chunkSize) {
        if (chunkSize < 1) throw new IllegalArgumentException("chunk size must be >= 1, got " + chunkSize);
        long count = 0;
        for (long n : numels) {
            if (n < 0) throw new IllegalArgumentException("negative element count in " + Arrays.toString(numels));
            count += (n + chunkSize - 1) / chunkSize;
        }
        if (count > Integer.MAX_VALUE / 2) throw new IllegalArgumentException(count + " chunks are too many for one table");
        long[] chunks = new long[(int) (2 * count)];
        int c = 0;
        for (int t = 0; t < numels.length; t++)
            for (long start = 0; start < numels[t]; start += chunkSize) {
                chunks[c++] = t;
                chunks[c++] = start;
            }
        return new MultiTensorPlan(numels.clone(), chunkSize, chunks);
    }

    public int tensorCount() {
        return numels.length;
    }

    public int chunkCount() {
        return chunks.length / 2;
    }

    public long chunkSize() {
        return chunkSize;
    }

    public int chunkTensor(int chunk) {
        return (int) chunks[2 * chunk];
    }

    public long chunkStart(int chunk) {
        return chunks[2 * chunk + 1];
    }

    /** Elements of the chunk: chunkSize, or what is left at the end of its tensor. */
    public long chunkLength(int chunk) {
        return Math.min(chunkSize, numels[chunkTensor(chunk)] - chunkStart(chunk));
    }

    /** Where the chunk table starts in {@link #table}, in int64 slots. */
    public long chunksOffset() {
        return (long) TENSOR_SLOTS * numels.length;
    }

    /**
     * The whole table: for each tensor its row from {@code rows} (TENSOR_SLOTS values; slot 4, the
     * element count, is written here from the plan), then the chunk table.
     */
    public long[] table(long[][] rows) {
        if (rows.length != numels.length) throw new IllegalArgumentException(rows.length + " rows for " + numels.length + " tensors");
        long[] out = new long[(int) (chunksOffset() + chunks.length)];
        for (int t = 0; t < rows.length; t++) {
            if (rows[t].length != TENSOR_SLOTS) throw new IllegalArgumentException("row " + t + " has " + rows[t].length + " slots, not " + TENSOR_SLOTS);
            System.arraycopy(rows[t], 0, out, t * TENSOR_SLOTS, TENSOR_SLOTS);
            out[t * TENSOR_SLOTS + 4] = numels[t];
        }
        System.arraycopy(chunks, 0, out, (int) chunksOffset(), chunks.length);
        return out;
    }
}
