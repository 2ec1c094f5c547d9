package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.pg.local.LocalProcessGroup;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Sequential;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What happens to bucket memory after a reduction fails. The first bucket's all-reduce fails at
 * once while the later ones are still "in the wire" (held by a gate): backward reports the first
 * failure, but the later collectives go on writing their buckets, so neither the next iteration
 * nor close() may reuse or free that memory until they end; memory whose collective outlives the
 * timeout is left allocated, and close() says so. Hooks' scratch memory is the reducer's to free.
 */
class ReducerDrainTest {
    private LocalProcessGroup local;
    private ScriptedGroup group;
    private Module model;
    private Reducer reducer;
    private final List<TrackedBuffer> allocated = new CopyOnWriteArrayList<>();

    private void start(DdpOptions options) {
        local = LocalProcessGroup.create(1, Duration.ofSeconds(30)).getFirst();
        group = new ScriptedGroup(local);
        Generator g = new Generator(5);
        model = new Sequential(new Linear(8, 16, true, g), new ReLU(), new Linear(16, 4, true, g));
        var named = model.namedParameters();
        reducer = new Reducer(group, group, new ArrayList<>(named.keySet()), new ArrayList<>(named.values()),
                options.withBucketCaps(List.of(200L)), this::tracked);
    }

    @AfterEach
    void tearDown() {
        if (group != null) group.open();
        try {
            if (reducer != null) reducer.close();
        } catch (RuntimeException ignored) {
            // tests that expect close() to throw checked it already
        }
        if (model != null) model.close();
        if (local != null) local.close();
    }

    private void iteration() {
        try (Scope s = Scope.open()) {
            reducer.rebuildBucketsIfPending();
            Tensor out = model.forward(Tensor.randn(new Generator(7), 5, 8));
            reducer.prepareForBackward(List.of(out));
            out.sum().backward();
        }
    }

    /** Two clean iterations (the second rebuilds the buckets), then the first bucket fails and the rest are held. */
    private void failFirstBucketHoldingTheRest() {
        iteration();
        iteration();
        int buckets = reducer.bucketBytes().size();
        assertTrue(buckets >= 2, "needs more than one bucket: " + reducer.bucketBytes());
        group.failFirstAndHoldTheRest(buckets);
        DistributedException e = assertThrows(DistributedException.class, this::iteration);
        assertTrue(e.getMessage().contains("bucket 0 of"), e.getMessage());
    }

    @Test
    void theNextIterationWaitsForTheBucketsStillReducingAfterAFailure() throws Exception {
        start(DdpOptions.defaults().withTimeout(Duration.ofSeconds(20)));
        failFirstBucketHoldingTheRest();
        CountDownLatch prepared = new CountDownLatch(1);
        CompletableFuture<Void> next = CompletableFuture.runAsync(() -> {
            try (Scope s = Scope.open()) {
                Tensor out = model.forward(Tensor.randn(new Generator(7), 5, 8));
                reducer.prepareForBackward(List.of(out));
                prepared.countDown();
                out.sum().backward();
            }
        });
        assertFalse(prepared.await(300, TimeUnit.MILLISECONDS), "the next backward would write buckets that a collective still writes");
        group.open();
        next.get(20, TimeUnit.SECONDS);
    }

    @Test
    void closeWaitsForTheBucketsStillReducingAfterAFailureThenFreesEverything() throws Exception {
        start(DdpOptions.defaults().withTimeout(Duration.ofSeconds(20)));
        failFirstBucketHoldingTheRest();
        long freedBefore = allocated.stream().filter(TrackedBuffer::isClosed).count(); // the buckets the rebuild replaced
        CompletableFuture<Void> closing = CompletableFuture.runAsync(reducer::close);
        Thread.sleep(300);
        assertFalse(closing.isDone(), "close would free buckets that a collective still writes");
        assertEquals(freedBefore, allocated.stream().filter(TrackedBuffer::isClosed).count(), "nothing freed while a collective runs");
        group.open();
        closing.get(20, TimeUnit.SECONDS);
        assertTrue(allocated.stream().allMatch(TrackedBuffer::isClosed), "every bucket freed once the collectives ended");
    }

    @Test
    void bucketsWhoseCollectiveOutlivesTheTimeoutStayAllocatedAndCloseSaysSo() {
        start(DdpOptions.defaults().withTimeout(Duration.ofMillis(500)));
        failFirstBucketHoldingTheRest();
        int buckets = reducer.bucketBytes().size();
        DistributedTimeoutException next = assertThrows(DistributedTimeoutException.class, this::iteration);
        assertTrue(next.getMessage().contains("cannot start iteration") && next.getMessage().contains("still running"), next.getMessage());

        DistributedTimeoutException e = assertThrows(DistributedTimeoutException.class, reducer::close);
        assertTrue(e.getMessage().contains("stay allocated") && e.getMessage().contains("bucket"), e.getMessage());
        List<TrackedBuffer> live = allocated.stream().filter(b -> !b.isClosed()).toList();
        assertEquals(buckets - 1, live.size(), "the held buckets (all but the failed first) stay allocated: " + e.getMessage());
    }

    @Test
    void compressionHookScratchIsReusedEachIterationAndFreedAtClose() {
        start(DdpOptions.defaults().withCommHook(CommHooks.bf16Compress()).withTimeout(Duration.ofSeconds(20)));
        iteration();
        iteration(); // rebuilt buckets
        long after2 = allocated.stream().filter(b -> b.dtype() == DType.BF16).count();
        iteration();
        iteration();
        long bf16 = allocated.stream().filter(b -> b.dtype() == DType.BF16).count();
        assertEquals(after2, bf16, "the same scratch each iteration");
        assertTrue(allocated.stream().filter(b -> b.dtype() == DType.BF16).filter(b -> !b.isClosed()).count() >= reducer.bucketBytes().size(),
                "one live bf16 copy per bucket");
        reducer.close();
        assertTrue(allocated.stream().allMatch(TrackedBuffer::isClosed), "the hook's bf16 copies are freed with the buckets");
    }

    @Test
    void aRebuildFreesTheScratchAndShadowsSizedForTheOldBuckets() {
        // bytes 40, 200, 40, 200 with a 200-byte cap: the initial reverse order packs [d] [c b] [a],
        // the observed order a, c, b, d packs [a c b] [d]; a bucket index the new plan lacks kept its scratch until close
        local = LocalProcessGroup.create(1, Duration.ofSeconds(30)).getFirst();
        group = new ScriptedGroup(local);
        List<Tensor> ps = List.of(Tensor.randn(new Generator(1), 10), Tensor.randn(new Generator(2), 50),
                Tensor.randn(new Generator(3), 10), Tensor.randn(new Generator(4), 50));
        ps.forEach(p -> p.setRequiresGrad(true));
        reducer = new Reducer(group, group, List.of("a", "b", "c", "d"), ps,
                DdpOptions.defaults().withCommHook(CommHooks.bf16Compress()).withBucketCaps(List.of(200L)), this::tracked);
        assertEquals(3, reducer.bucketBytes().size(), reducer.bucketBytes().toString());
        reducer.shadowIteration(); // zero buffers of the old plan too
        try (Scope s = Scope.open()) {
            reducer.prepareForBackward(null);
            ps.get(3).mul(1.0).sum().add(ps.get(1).mul(1.0).sum()).add(ps.get(2).mul(1.0).sum()).add(ps.get(0).mul(1.0).sum()).backward();
        }
        List<TrackedBuffer> oldPlan = List.copyOf(allocated);
        assertTrue(reducer.rebuildBucketsIfPending());
        assertEquals(2, reducer.bucketBytes().size(), reducer.bucketBytes().toString());
        List<TrackedBuffer> live = oldPlan.stream().filter(b -> !b.isClosed()).toList();
        assertEquals(List.of(), live.stream().map(b -> b.dtype() + "x" + b.numel()).toList(),
                "buckets, join shadows and bf16 copies of the old plan are freed by the rebuild");
        reducer.close();
        ps.forEach(Tensor::close);
    }

    @Test
    void aJoinShadowStillRunningKeepsOnlyItsOwnMemoryAtClose() {
        start(DdpOptions.defaults().withTimeout(Duration.ofMillis(500)));
        iteration();
        iteration();
        int buckets = reducer.bucketBytes().size();
        assertTrue(buckets >= 2, reducer.bucketBytes().toString());
        int beforeShadows = allocated.size();
        group.failFirstAndHoldTheRest(buckets);
        DistributedException e = assertThrows(DistributedException.class, reducer::shadowIteration);
        assertTrue(e.getMessage().contains("shadowing bucket 0 failed"), e.getMessage());
        List<TrackedBuffer> shadows = List.copyOf(allocated.subList(beforeShadows, allocated.size()));
        assertEquals(buckets, shadows.size(), "one zero buffer per bucket");

        DistributedTimeoutException closing = assertThrows(DistributedTimeoutException.class, reducer::close);
        assertTrue(closing.getMessage().contains("join shadows of buckets"), closing.getMessage());
        assertTrue(allocated.subList(0, beforeShadows).stream().allMatch(TrackedBuffer::isClosed),
                "the buckets' own memory is freed: no collective of theirs runs (" + closing.getMessage() + ")");
        assertEquals(buckets - 1, shadows.stream().filter(b -> !b.isClosed()).count(), "the held shadows stay allocated");
    }

    private BucketBuffer tracked(DType dtype, Device device, long numel) {
        TrackedBuffer b = new TrackedBuffer(new CpuBucketBuffer(dtype, numel));
        allocated.add(b);
        return b;
    }

    /** A CPU bucket that records whether it was freed. */
    private static final class TrackedBuffer extends ForwardingBucketBuffer {
        private volatile boolean closed;

        TrackedBuffer(CpuBucketBuffer cpu) {
            super(cpu);
        }

        boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            closed = true;
            super.close();
        }
    }

    /** A group whose next iteration's all-reduces, once armed, fail (the first) or wait for a gate (the rest). */
    private static final class ScriptedGroup extends ForwardingGroup {
        private final CountDownLatch gate = new CountDownLatch(1);
        private final AtomicInteger armedCalls = new AtomicInteger(-1);
        private volatile int scripted;

        ScriptedGroup(ProcessGroup host) {
            super(host);
        }

        /** The next {@code calls} all-reduces (one iteration's buckets) are scripted; later ones pass through. */
        void failFirstAndHoldTheRest(int calls) {
            scripted = calls;
            armedCalls.set(0);
        }

        void open() {
            gate.countDown();
        }

        @Override
        public void close() {}

        @Override
        public Work allReduce(HostBuffer b, ReduceOp op) {
            Work inner = host.allReduce(b, op);
            if (armedCalls.get() < 0) return inner;
            int call = armedCalls.getAndIncrement();
            if (call >= scripted) return inner;
            if (call == 0) return new GatedWork(inner, new CountDownLatch(0), true);
            return new GatedWork(inner, gate, false);
        }

        @Override public String backend() { return "scripted"; }
    }
}
