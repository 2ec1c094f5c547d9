package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.DistributedException;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end of backward on stream-ordered (device) buckets: the compute stream is made to wait for
 * each bucket's collective and the host does not block; the host checks those collectives at the
 * next forward. On this machine the "device" buckets are CPU buffers that say they are
 * stream-ordered and record what they were asked to wait for, and the group's collectives
 * complete only when the test opens a gate, so a host wait would show as a stuck backward.
 */
class ReducerDeviceWaitTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private LocalProcessGroup local;
    private GatedGroup group;
    private final List<Work> waitedOnDevice = new CopyOnWriteArrayList<>();
    private Module model;
    private Reducer reducer;

    @BeforeEach
    void setUp() {
        local = LocalProcessGroup.create(1, TIMEOUT).getFirst();
        group = new GatedGroup(local);
        Generator g = new Generator(3);
        model = new Sequential(new Linear(8, 16, true, g), new ReLU(), new Linear(16, 4, true, g));
        var named = model.namedParameters();
        // small buckets: more than one, launched in order
        DdpOptions options = DdpOptions.defaults().withBucketCaps(List.of(200L)).withTimeout(TIMEOUT);
        reducer = new Reducer(group, group, new ArrayList<>(named.keySet()), new ArrayList<>(named.values()), options,
                (dtype, device, numel) -> new StreamOrderedFake(new CpuBucketBuffer(dtype, numel), waitedOnDevice));
    }

    @AfterEach
    void tearDown() {
        group.open();
        reducer.close();
        model.close();
        local.close();
    }

    /** One synchronised iteration, as DistributedDataParallel.forward and backward run it; returns how long backward took. */
    private long iteration() {
        try (Scope s = Scope.open()) {
            reducer.rebuildBucketsIfPending();
            Tensor out = model.forward(Tensor.randn(new Generator(7), 5, 8));
            reducer.prepareForBackward(List.of(out));
            long t0 = System.nanoTime();
            out.sum().backward();
            return System.nanoTime() - t0;
        }
    }

    @Test
    void backwardEndsWithoutTheHostWaitingAndTheHostChecksAtTheNextForward() {
        iteration(); // the first iteration records the bucket order and waits on the host
        assertTrue(waitedOnDevice.isEmpty(), "the iteration that records the order waits on the host");
        assertEquals(1, reducer.timelines().size());

        group.shut(); // from now on collectives complete only when the gate opens
        long took = iteration(); // (its forward rebuilt the buckets in the observed order)
        int buckets = reducer.bucketBytes().size();
        assertTrue(buckets >= 2, "more than one bucket: " + buckets);
        assertTrue(took < TIMEOUT.toNanos() / 2, "backward ended in " + took / 1_000_000 + " ms although no collective had completed");
        assertEquals(group.issued.subList(group.issued.size() - buckets, group.issued.size()), waitedOnDevice,
                "the compute stream waits for each bucket's collective, in bucket order");
        assertEquals(1, reducer.timelines().size(), "not yet checked by the host");

        group.open();
        iteration(); // its forward checks the previous iteration on the host
        List<IterationTimeline> tl = reducer.timelines();
        assertTrue(tl.size() >= 2, "the device-ordered iteration is recorded at the next forward");
        assertEquals(2, tl.get(1).iteration());
        for (var b : tl.get(1).buckets()) assertTrue(b.completed() >= b.launched() && b.completed() > 0, "bucket " + b.index() + " has its completion time");
    }

    @Test
    void aCollectiveThatFailsAfterBackwardIsRaisedAtTheNextForwardNamingBucketAndIteration() {
        iteration();
        group.shut();
        group.failing = true;
        iteration(); // iteration 2 ends on the device
        group.open();
        DistributedException e = assertThrows(DistributedException.class, this::iteration);
        assertTrue(e.getMessage().contains("bucket 0 of") && e.getMessage().contains("in iteration 2 failed"), e.getMessage());
    }

    @Test
    void aFailureOfTheLastIterationThatNoForwardCheckedIsThrownByClose() {
        iteration();
        group.shut();
        group.failing = true;
        iteration(); // iteration 2 ends on the device, and training stops: no forward will check it
        group.open();
        DistributedException e = assertThrows(DistributedException.class, reducer::close);
        assertTrue(e.getMessage().contains("in iteration 2 failed"), e.getMessage());
        reducer.close(); // idempotent: the failure was reported once
    }

    @Test
    void closingWaitsForCollectivesStillUsingTheBuckets() throws Exception {
        iteration();
        group.shut();
        iteration();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(reducer::close);
        Thread.sleep(200);
        assertFalse(closing.isDone(), "close must not free bucket memory that a collective still reduces");
        group.open();
        closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** A CPU bucket that says it is stream-ordered and records the works its "compute stream" waits for. */
    private static final class StreamOrderedFake extends ForwardingBucketBuffer {
        private final List<Work> waited;

        StreamOrderedFake(CpuBucketBuffer cpu, List<Work> waited) {
            super(cpu);
            this.waited = waited;
        }

        @Override public boolean streamOrdered() { return true; }
        @Override public void awaitOnComputeStream(Work work) { waited.add(work); }
    }

    /** A group whose all-reduces complete (or fail) only once its gate is open. */
    private static final class GatedGroup extends ForwardingGroup {
        final List<Work> issued = new CopyOnWriteArrayList<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile boolean failing;

        GatedGroup(ProcessGroup host) {
            super(host);
        }

        void shut() {
            gate = new CountDownLatch(1);
        }

        @Override
        public void close() {}

        void open() {
            gate.countDown();
        }

        @Override
        public Work allReduce(HostBuffer b, ReduceOp op) {
            Work w = new GatedWork(host.allReduce(b, op), gate, failing);
            issued.add(w);
            return w;
        }

        @Override public String backend() { return "gated"; }
    }
}
