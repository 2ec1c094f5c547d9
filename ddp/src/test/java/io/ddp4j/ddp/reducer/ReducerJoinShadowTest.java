package io.ddp4j.ddp.reducer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.pg.local.LocalProcessGroup;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A rank that joined early all-reduces zero buffers in place of gradients: they must follow a bucket rebuild. */
class ReducerJoinShadowTest {
    /** Passes every op to a one-rank group and records the element count of each all-reduce. */
    static final class CountingGroup extends ForwardingGroup {
        final List<Long> counts = new CopyOnWriteArrayList<>();

        CountingGroup(ProcessGroup host) {
            super(host);
        }

        @Override public Work allReduce(HostBuffer b, ReduceOp op) {
            counts.add(b.count());
            return host.allReduce(b, op);
        }
        @Override public String backend() { return "counting"; }
    }

    @Test
    void aJoinedRanksZeroBuffersTakeTheRebuiltBucketSizesEvenWhenTheBucketCountStaysTheSame() {
        CountingGroup group = new CountingGroup(LocalProcessGroup.create(1, Duration.ofSeconds(30)).getFirst());
        Tensor a = Tensor.randn(new Generator(1), 64).setRequiresGrad(true);
        Tensor b = Tensor.randn(new Generator(2), 4).setRequiresGrad(true);
        Tensor c = Tensor.randn(new Generator(3), 16).setRequiresGrad(true);
        Tensor d = Tensor.randn(new Generator(4), 128).setRequiresGrad(true);
        Reducer reducer = new Reducer(group, group, List.of("a", "b", "c", "d"), List.of(a, b, c, d),
                DdpOptions.defaults().withBucketCaps(List.of(200L)));
        reducer.shadowIteration(); // joined at once: zero buffers of the initial plan
        List<Long> before = reducer.bucketBytes();
        try (Scope s = Scope.open()) { // the first iteration, gradients ready in the order a, b, c, d
            reducer.prepareForBackward(null);
            d.mul(1.0).sum().add(c.mul(1.0).sum()).add(b.mul(1.0).sum()).add(a.mul(1.0).sum()).backward();
        }
        reducer.rebuildBucketsForJoin();
        List<Long> after = reducer.bucketBytes();
        assertEquals(before.size(), after.size(), "this case keeps the bucket count: " + before + " -> " + after);
        group.counts.clear();
        reducer.shadowIteration();
        assertEquals(after.stream().map(x -> x / 4).toList(), group.counts, "plan " + before + " -> " + after);
        reducer.close();
        group.close();
    }
}
