package io.ddp4j.ddp.reducer;

import io.ddp4j.tensor.Tensor;

import java.util.List;

/**
 * What a communication hook sees of one bucket: its position in launch order, its flat buffer
 * (every gradient of its parameters, packed in {@link #parameterNames()} order) and where each
 * parameter lives in it. PyTorch's {@code GradBucket}.
 *
 * @param index          position in launch order, 0 first
 * @param bucketCount    how many buckets the reducer has now
 * @param buffer         the gradients; the hook reduces them in place
 * @param parameterNames the parameters in the bucket, in buffer order
 * @param offsets        element offset of each parameter's gradient in the buffer
 * @param iteration      the reducer's iteration (1 for the first backward)
 */
public record GradBucket(int index, int bucketCount, BucketBuffer buffer, List<String> parameterNames, long[] offsets, long iteration) {
    /** The flat gradient tensor (the buffer's, do not close it). */
    public Tensor flat() {
        return buffer.flat();
    }

    public boolean isLast() {
        return index == bucketCount - 1;
    }
}
