package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.reducer.BucketPlan;
import io.ddp4j.ddp.reducer.CommHook;
import io.ddp4j.ddp.reducer.CommHooks;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Settings of {@link DistributedDataParallel} and {@link DataParallel}, PyTorch's keyword
 * arguments with PyTorch's defaults. Immutable; each {@code withX} returns a changed copy.
 *
 * @param bucketCapsBytes       bucket caps in bytes: the first bucket's, then the next ones' (the last repeats); 1 MiB then 25 MiB
 * @param broadcastBuffers      copy rank 0's buffers (BatchNorm statistics) to every rank at each training forward
 * @param findUnusedParameters  search the graph after each forward for parameters the output does not depend on, and mark them ready
 * @param gradientAsBucketView  parameters' .grad are views into the bucket buffers (no copy); otherwise gradients are copied in and out
 * @param staticGraph           the graph is the same every iteration: unused parameters are found once, in the first iteration, and the
 *                              buckets are rebuilt from the observed order even with findUnusedParameters
 * @param commHook              how a bucket is communicated (all-reduce by default; {@link CommHooks} has bf16/fp16 compression)
 * @param checkRanksInStep      each synchronised iteration all-gathers the ranks' iteration numbers (one 8-byte collective per rank,
 *                              issued in forward, checked after backward), so a rank that skipped a backward is named at once; not done
 *                              on nccl, where it would be a synchronous host round trip each step and the watchdog names a missing rank
 * @param timeout               longest wait for a bucket's reduction at the end of backward (the group's own timeout should fire first)
 * @param stallFloor            a backward pass is reported as stalled only after at least this long ...
 * @param stallFactor           ... and after this many times the median of the recent ones
 * @param stallListener         receives stall warnings (null: they go to the "io.ddp4j.ddp" System.Logger at WARNING)
 * @param historySize           iterations of timeline kept for stats and traces
 */
public record DdpOptions(List<Long> bucketCapsBytes, boolean broadcastBuffers, boolean findUnusedParameters, boolean gradientAsBucketView,
                         boolean staticGraph, CommHook commHook, boolean checkRanksInStep, Duration timeout, Duration stallFloor, double stallFactor,
                         Consumer<String> stallListener, int historySize) {

    public DdpOptions {
        bucketCapsBytes = List.copyOf(bucketCapsBytes);
        if (bucketCapsBytes.isEmpty()) throw new IllegalArgumentException("at least one bucket cap is needed");
        for (long c : bucketCapsBytes) if (c <= 0) throw new IllegalArgumentException("bucket caps must be positive, got " + bucketCapsBytes);
        if (commHook == null) throw new IllegalArgumentException("commHook must not be null (the default is CommHooks.allReduce())");
        Durations.requirePositive(timeout, "DDP timeout");
        Durations.requirePositive(stallFloor, "stall floor");
        if (!(stallFactor >= 1)) throw new IllegalArgumentException("stallFactor must be >= 1, got " + stallFactor);
        if (historySize < 1) throw new IllegalArgumentException("historySize must be >= 1, got " + historySize);
    }

    /** PyTorch's defaults: 1 MiB first bucket, 25 MiB after, buffers broadcast, gradients as bucket views. */
    public static DdpOptions defaults() {
        return new DdpOptions(BucketPlan.caps(1, 25), true, false, true, false, CommHooks.allReduce(), true,
                Duration.ofMinutes(30), Duration.ofSeconds(30), 10, null, 100);
    }

    /** Buckets of {@code mb} MiB after a first one of min(1, mb) MiB (PyTorch's {@code bucket_cap_mb}). */
    public DdpOptions withBucketCapMb(double mb) {
        return withBucketCaps(BucketPlan.caps(Math.min(1, mb), mb));
    }

    /** Caps in bytes: the first bucket's, then each next one's; the last repeats. */
    public DdpOptions withBucketCaps(List<Long> capsBytes) {
        return new DdpOptions(capsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withBroadcastBuffers(boolean on) {
        return new DdpOptions(bucketCapsBytes, on, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withFindUnusedParameters(boolean on) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, on, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withGradientAsBucketView(boolean on) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, on, staticGraph, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withStaticGraph(boolean on) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, on, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withCommHook(CommHook hook) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, hook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withCheckRanksInStep(boolean on) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, on,
                timeout, stallFloor, stallFactor, stallListener, historySize);
    }

    public DdpOptions withTimeout(Duration t) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                t, stallFloor, stallFactor, stallListener, historySize);
    }

    /** Stall warnings after max(floor, factor x median backward time), to {@code listener} (null: the logger). */
    public DdpOptions withStallWarning(Duration floor, double factor, Consumer<String> listener) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                timeout, floor, factor, listener, historySize);
    }

    public DdpOptions withHistorySize(int n) {
        return new DdpOptions(bucketCapsBytes, broadcastBuffers, findUnusedParameters, gradientAsBucketView, staticGraph, commHook, checkRanksInStep,
                timeout, stallFloor, stallFactor, stallListener, n);
    }
}
