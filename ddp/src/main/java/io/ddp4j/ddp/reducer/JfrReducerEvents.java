package io.ddp4j.ddp.reducer;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * The reducer's JDK Flight Recorder events (category "ddp4j", "DDP"); recorded only while a
 * recording is on. Loaded only where the runtime has {@code jdk.jfr} ({@link ReducerEvents}).
 */
final class JfrReducerEvents implements ReducerEvents {
    private JfrReducerEvents() {}

    static JfrReducerEvents create() {
        return new JfrReducerEvents();
    }

    @Override
    public Span backward(long iteration, int rank, int buckets) {
        Backward e = new Backward();
        e.iteration = iteration;
        e.rank = rank;
        e.buckets = buckets;
        return begun(e);
    }

    @Override
    public Span bucketReduce(long iteration, int rank, int bucket, long bytes, String hook) {
        BucketReduce e = new BucketReduce();
        e.iteration = iteration;
        e.rank = rank;
        e.bucket = bucket;
        e.bytes = bytes;
        e.hook = hook;
        return begun(e);
    }

    @Override
    public Span finalizing(long iteration, int rank) {
        Finalize e = new Finalize();
        e.iteration = iteration;
        e.rank = rank;
        return begun(e);
    }

    /** Starts timing {@code e}; the span's end commits it, which ends it and records it only while a recording wants it. */
    private static Span begun(Event e) {
        e.begin();
        return e::commit;
    }

    @Override
    public void bucketReady(long iteration, int rank, int bucket) {
        BucketReady e = new BucketReady();
        if (!e.shouldCommit()) return;
        e.iteration = iteration;
        e.rank = rank;
        e.bucket = bucket;
        e.commit();
    }

    @Name("io.ddp4j.ddp.Backward")
    @Label("DDP Backward")
    @Category({"ddp4j", "DDP"})
    @Description("A synchronised backward pass: from the first gradient hook to the end of backward")
    static final class Backward extends Event {
        @Label("Iteration") long iteration;
        @Label("Rank") int rank;
        @Label("Buckets") int buckets;
    }

    @Name("io.ddp4j.ddp.BucketReduce")
    @Label("DDP Bucket Reduction")
    @Category({"ddp4j", "DDP"})
    @Description("A bucket's communication, from its launch to its completion")
    static final class BucketReduce extends Event {
        @Label("Iteration") long iteration;
        @Label("Rank") int rank;
        @Label("Bucket") int bucket;
        @Label("Size") @DataAmount long bytes;
        @Label("Hook") String hook;
    }

    @Name("io.ddp4j.ddp.BucketReady")
    @Label("DDP Bucket Ready")
    @Category({"ddp4j", "DDP"})
    @Description("The last gradient of a bucket became ready")
    static final class BucketReady extends Event {
        @Label("Iteration") long iteration;
        @Label("Rank") int rank;
        @Label("Bucket") int bucket;
    }

    @Name("io.ddp4j.ddp.Finalize")
    @Label("DDP Wait For Gradients")
    @Category({"ddp4j", "DDP"})
    @Description("From the end of backward until every bucket's reduction completed: exposed communication")
    static final class Finalize extends Event {
        @Label("Iteration") long iteration;
        @Label("Rank") int rank;
    }
}
