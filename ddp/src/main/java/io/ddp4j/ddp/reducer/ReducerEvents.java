package io.ddp4j.ddp.reducer;

/**
 * Where the reducer reports its timeline for profiling: JDK Flight Recorder events
 * ({@link JfrReducerEvents}) on a runtime that has the {@code jdk.jfr} module, nothing on one that
 * does not (a runtime made by jlink may leave it out, and DDP must train there all the same).
 * Only {@link JfrReducerEvents} names a {@code jdk.jfr} class, and it is loaded only when the
 * module is present.
 */
sealed interface ReducerEvents permits JfrReducerEvents, ReducerEvents.None {

    /** Whether this runtime has Flight Recorder's API. */
    boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    /** The events of this runtime. */
    static ReducerEvents forThisRuntime() {
        return AVAILABLE ? JfrReducerEvents.create() : None.INSTANCE;
    }

    /** A synchronised backward pass begins (the first gradient hook). */
    Span backward(long iteration, int rank, int buckets);

    /** A bucket's communication is launched. */
    Span bucketReduce(long iteration, int rank, int bucket, long bytes, String hook);

    /** The end of backward starts waiting for the buckets. */
    Span finalizing(long iteration, int rank);

    /** The last gradient of a bucket became ready. */
    void bucketReady(long iteration, int rank, int bucket);

    /** Something that began when it was made, with all it records known then; {@code end} records it. */
    interface Span {
        void end();
    }

    /** The runtime has no Flight Recorder: nothing is recorded. */
    enum None implements ReducerEvents, Span {
        INSTANCE;

        @Override public Span backward(long iteration, int rank, int buckets) { return this; }
        @Override public Span bucketReduce(long iteration, int rank, int bucket, long bytes, String hook) { return this; }
        @Override public Span finalizing(long iteration, int rank) { return this; }
        @Override public void bucketReady(long iteration, int rank, int bucket) {}
        @Override public void end() {}
    }
}
