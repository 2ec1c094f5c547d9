package io.ddp4j.ddp.reducer;

import java.util.List;
import java.util.Locale;

/**
 * Overlap of communication with backward over the recorded iterations (the first iteration, which
 * includes warm-up and the bucket rebuild, is left out when there are others).
 *
 * @param iterations        synchronised iterations recorded
 * @param bucketBytes       current buckets' sizes in launch order
 * @param rebuilt           whether the buckets were rebuilt from the observed gradient order
 * @param meanBackwardMs    first gradient hook to end of backward, mean
 * @param meanCommMs        summed all-reduce time per iteration, mean
 * @param hiddenFraction    fraction of all-reduce time that ran before backward ended
 * @param meanExposedMs     end of backward to final gradients, mean: communication not hidden
 * @param lastUnused        parameters found unused in the last iteration (findUnusedParameters)
 */
public record ReducerStats(long iterations, List<Long> bucketBytes, boolean rebuilt, double meanBackwardMs, double meanCommMs,
                           double hiddenFraction, double meanExposedMs, List<String> lastUnused) {

    static ReducerStats of(List<IterationTimeline> history, long iterations, List<Long> bucketBytes, boolean rebuilt, List<String> lastUnused) {
        List<IterationTimeline> use = history.size() > 1 ? history.subList(1, history.size()) : history;
        double back = 0, comm = 0, hidden = 0, exposed = 0;
        for (IterationTimeline t : use) {
            back += t.backwardNanos();
            comm += t.commNanos();
            hidden += t.hiddenNanos();
            exposed += t.exposedNanos();
        }
        int n = Math.max(1, use.size());
        return new ReducerStats(iterations, List.copyOf(bucketBytes), rebuilt, back / n / 1e6, comm / n / 1e6,
                comm == 0 ? 0 : hidden / comm, exposed / n / 1e6, List.copyOf(lastUnused));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d iterations, %d buckets, backward %.2f ms, all-reduce %.2f ms (%.0f%% hidden), exposed %.2f ms%s",
                iterations, bucketBytes.size(), meanBackwardMs, meanCommMs, 100 * hiddenFraction, meanExposedMs,
                lastUnused.isEmpty() ? "" : ", unused " + lastUnused);
    }
}
