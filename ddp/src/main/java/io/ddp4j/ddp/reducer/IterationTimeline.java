package io.ddp4j.ddp.reducer;

import java.util.List;

/**
 * What happened in one synchronised backward pass, in {@code System.nanoTime()} nanoseconds.
 * A bucket's all-reduce is taken to start when it was launched or when the previous bucket's
 * finished, whichever is later (a group runs its ops one after another).
 *
 * @param iteration       the reducer's iteration, 1 first
 * @param rank            rank in the group
 * @param backwardStart   the first gradient-ready hook of the pass
 * @param backwardEnd     the end of the backward pass (the reducer's end-of-backward callback)
 * @param finished        when every bucket's reduction had completed and the gradients were final
 * @param buckets         per bucket, in launch order
 */
public record IterationTimeline(long iteration, int rank, long backwardStart, long backwardEnd, long finished, List<BucketEvents> buckets) {
    /** One bucket: when its last gradient arrived, when its hook launched it, when its reduction completed. */
    public record BucketEvents(int index, long bytes, int parameters, long ready, long launched, long completed) {}

    /** Start of bucket {@code i}'s communication: launched, or when the one before completed if later. */
    public long commStart(int i) {
        BucketEvents b = buckets.get(i);
        return i == 0 ? b.launched : Math.max(b.launched, buckets.get(i - 1).completed);
    }

    /** Total communication time (nanoseconds). */
    public long commNanos() {
        long t = 0;
        for (int i = 0; i < buckets.size(); i++) t += Math.max(0, buckets.get(i).completed - commStart(i));
        return t;
    }

    /** Communication time that ran before backward ended (nanoseconds). */
    public long hiddenNanos() {
        long t = 0;
        for (int i = 0; i < buckets.size(); i++) t += Math.max(0, Math.min(buckets.get(i).completed, backwardEnd) - commStart(i));
        return t;
    }

    /** Time from the end of backward until the gradients were final: what communication added to the step. */
    public long exposedNanos() {
        return Math.max(0, finished - backwardEnd);
    }

    public long backwardNanos() {
        return backwardEnd - backwardStart;
    }
}
