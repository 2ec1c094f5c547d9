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
    Span backward();

    /** A bucket's communication is launched. */
    Span bucketReduce();

    /** The end of backward starts waiting for the buckets. */
    Span finalizing();

    /** The last gradient of a bucket became ready. */
    void bucketReady(long iteration, int rank, int bucket);

    /** Something that began when it was made; {@code end} records it with what is known by then. */
    interface Span {
        /** {@code bucket}, {@code bytes}, {@code hook}: for a bucket's reduction; the rest pass -1 and null. */
        void end(long iteration, int rank, int buckets, int bucket, long bytes, String hook);
    }

    /** The runtime has no Flight Recorder: nothing is recorded. */
    enum None implements ReducerEvents, Span {
        INSTANCE;

        @Override public Span backward() { return this; }
        @Override public Span bucketReduce() { return this; }
        @Override public Span finalizing() { return this; }
        @Override public void bucketReady(long iteration, int rank, int bucket) {}
        @Override public void end(long iteration, int rank, int buckets, int bucket, long bytes, String hook) {}
    }
}
