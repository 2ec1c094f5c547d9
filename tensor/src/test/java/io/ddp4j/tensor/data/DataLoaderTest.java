package io.ddp4j.tensor.data;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataLoaderTest {
    private Tensor features;
    private Tensor labels;
    private TensorDataset dataset;

    @BeforeEach
    void makeData() {
        // row i holds [i, 10 i] and label i: a batch tells exactly which samples it holds
        float[] f = new float[103 * 2];
        long[] l = new long[103];
        for (int i = 0; i < 103; i++) {
            f[2 * i] = i;
            f[2 * i + 1] = 10 * i;
            l[i] = i;
        }
        features = Tensor.fromArray(f, 103, 2);
        labels = Tensor.fromArray(l);
        dataset = new TensorDataset(features, labels);
    }

    @AfterEach
    void free() {
        features.close();
        labels.close();
    }

    /** The label lists of every batch of one pass, closing the batches. */
    private static List<List<Long>> pass(Iterable<Batch> loader) {
        List<List<Long>> out = new ArrayList<>();
        for (Batch b : loader) {
            try (b) {
                float[] f = b.get(0).toFloatArray();
                long[] l = b.get(1).toLongArray();
                for (int k = 0; k < l.length; k++) assertEquals(l[k], f[2 * k], "features and labels of a sample stay together");
                out.add(Arrays.stream(l).boxed().toList());
            }
        }
        return out;
    }

    private static List<Long> flat(List<List<Long>> batches) {
        return batches.stream().flatMap(List::stream).toList();
    }

    private static Set<Thread> workerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("ddp4j-DataLoader-")).collect(Collectors.toSet());
    }

    /** Waits up to 5 s for every DataLoader worker thread to end. */
    private static void assertNoWorkersLeft() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!workerThreads().isEmpty() && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(Set.of(), workerThreads(), "DataLoader worker threads still running");
    }

    @Test
    void sequentialBatchesKeepTheShortLastOneUnlessDropLast() {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(10).build()) {
            List<List<Long>> batches = pass(loader);
            assertEquals(11, batches.size());
            assertEquals(11, loader.numBatches());
            assertEquals(List.of(100L, 101L, 102L), batches.get(10));
            assertEquals(LongRange.of(103), flat(batches));
        }
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(10).dropLast(true).build()) {
            List<List<Long>> batches = pass(loader);
            assertEquals(10, batches.size());
            assertEquals(10, loader.numBatches());
        }
    }

    @Test
    void batchesHaveTheDatasetsShapesWithTheBatchDimInFront() {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(8).build(); BatchIterator it = loader.iterator()) {
            try (Batch b = it.next()) {
                assertArrayEquals(new int[]{8, 2}, b.get(0).shape());
                assertArrayEquals(new int[]{8}, b.get(1).shape());
                assertEquals(DType.I64, b.get(1).dtype());
                assertEquals(8, b.size());
            }
        }
    }

    /** A data set whose samples take a random time, so workers finish out of order. */
    private static final class SlowDataset implements Dataset<List<Tensor>> {
        private final TensorDataset inner;

        SlowDataset(TensorDataset inner) {
            this.inner = inner;
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public List<Tensor> get(int index) {
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.get(index);
        }
    }

    @Test
    void workersDeliverBatchesInSamplerOrderWhateverTheirTiming() throws InterruptedException {
        List<List<Long>> expected;
        try (DataLoader plain = DataLoader.builder(dataset).batchSize(4).shuffle(true).seed(3).build()) {
            expected = pass(plain);
        }
        try (DataLoader workers = DataLoader.builder(new SlowDataset(dataset)).batchSize(4).shuffle(true).seed(3)
                .numWorkers(3).prefetchFactor(2).build()) {
            assertEquals(expected, pass(workers), "3 slow workers give the same batches in the same order as none");
        }
        assertEquals(LongRange.of(103), flat(expected).stream().sorted().toList());
        assertNoWorkersLeft();
    }

    @Test
    void shuffleIsFixedBySeedAndEpochAndChangesFromPassToPass() {
        try (DataLoader a = DataLoader.builder(dataset).batchSize(16).shuffle(true).seed(11).build();
             DataLoader b = DataLoader.builder(dataset).batchSize(16).shuffle(true).seed(11).numWorkers(2).build()) {
            List<List<Long>> a0 = pass(a), a1 = pass(a);
            List<List<Long>> b0 = pass(b), b1 = pass(b);
            assertEquals(a0, b0, "same seed, epoch 0");
            assertEquals(a1, b1, "same seed, epoch 1");
            assertNotEquals(a0, a1, "the second pass is the next epoch");
            b.setEpoch(0);
            assertEquals(a0, pass(b), "setEpoch(0) replays epoch 0");
        }
    }

    @Test
    void aDistributedSamplerGivesEachRankItsShare() {
        List<Long> all = new ArrayList<>();
        for (int rank = 0; rank < 4; rank++) {
            DistributedSampler s = new DistributedSampler(dataset.size(), 4, rank, true, 9, true);
            try (DataLoader loader = DataLoader.builder(dataset).batchSize(5).sampler(s).numWorkers(1).build()) {
                loader.setEpoch(1);
                List<Long> share = flat(pass(loader));
                assertEquals(25, share.size());
                all.addAll(share);
            }
        }
        assertEquals(100, all.stream().distinct().count(), "drop_last shares are disjoint");
    }

    @Test
    void closingTheLoaderStopsARunningPassAtOnce() throws InterruptedException {
        assertNoWorkersLeft();
        DataLoader loader = DataLoader.builder(new SlowDataset(dataset)).batchSize(2).numWorkers(3).prefetchFactor(4).build();
        BatchIterator pass = loader.iterator();
        pass.next().close();
        pass.next().close();
        assertEquals(3, workerThreads().size(), "workers are still ahead of the consumer");
        loader.close();
        assertNoWorkersLeft();
        assertFalse(pass.hasNext(), "the pass ended with the loader");
        assertThrows(IllegalStateException.class, loader::iterator);
    }

    /** Takes two batches and breaks out; the pass becomes unreachable when this returns. */
    private static void takeTwoAndBreak(DataLoader loader) {
        int seen = 0;
        for (Batch b : loader) {
            b.close();
            if (++seen == 2) break;
        }
    }

    @Test
    void aPassLeftByABreakStopsItsWorkersOnceCollected() throws InterruptedException {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(2).numWorkers(2).build()) {
            takeTwoAndBreak(loader);
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!workerThreads().isEmpty() && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertEquals(Set.of(), workerThreads(), "the Cleaner of the abandoned pass stopped its workers");
        }
    }

    @Test
    void startingTheNextPassEndsTheAbandonedOne() throws InterruptedException {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(2).numWorkers(2).build()) {
            BatchIterator first = loader.iterator();
            first.next().close();
            Set<Thread> firstWorkers = workerThreads();
            assertEquals(2, firstWorkers.size());
            assertEquals(52, pass(loader).size(), "the new pass is complete");
            for (Thread t : firstWorkers) assertFalse(t.isAlive(), t.getName());
            assertFalse(first.hasNext(), "the abandoned pass is over");
        }
        assertNoWorkersLeft();
    }

    @Test
    void aFailingSampleIsReportedWithItsBatchAndStopsThePass() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        Dataset<List<Tensor>> broken = new Dataset<>() {
            @Override
            public int size() {
                return 20;
            }

            @Override
            public List<Tensor> get(int index) {
                calls.incrementAndGet();
                if (index == 13) throw new IllegalStateException("corrupt record 13");
                return dataset.get(index);
            }
        };
        for (int workers : new int[]{0, 2}) {
            try (DataLoader loader = DataLoader.builder(broken).batchSize(5).numWorkers(workers).build()) {
                BatchIterator it = loader.iterator();
                it.next().close();
                it.next().close();
                var e = assertThrows(DataLoaderException.class, it::next);
                assertTrue(e.getMessage().contains("batch 2") && e.getMessage().contains("corrupt record 13"), e.getMessage());
            }
        }
        assertTrue(calls.get() > 0);
        assertNoWorkersLeft();
    }

    @Test
    void samplesOfAnyDatasetAreStackedLikeTheBatchedPath() {
        Dataset<List<Tensor>> plain = new Dataset<>() {
            @Override
            public int size() {
                return dataset.size();
            }

            @Override
            public List<Tensor> get(int index) {
                return dataset.get(index);
            }
        };
        try (DataLoader a = DataLoader.builder(plain).batchSize(7).shuffle(true).seed(1).build();
             DataLoader b = DataLoader.builder(dataset).batchSize(7).shuffle(true).seed(1).build()) {
            assertEquals(pass(b), pass(a));
        }
    }

    @Test
    void optionsThatCannotWorkAreRefused() {
        var both = assertThrows(IllegalArgumentException.class,
                () -> DataLoader.builder(dataset).shuffle(true).sampler(new SequentialSampler(103)).build());
        assertTrue(both.getMessage().contains("mutually exclusive with shuffle"), both.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DataLoader.builder(dataset).batchSize(0).build());
        var size = assertThrows(IllegalArgumentException.class, () -> new TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4)));
        assertTrue(size.getMessage().contains("size mismatch between tensors"), size.getMessage());
    }

    @Test
    void aTransferStepRunsOnEveryBatch() {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(50).numWorkers(1)
                .transfer(b -> Batch.of(b.get(0).mul(2), b.get(1))).build()) {
            try (BatchIterator it = loader.iterator(); Batch first = it.next()) {
                assertEquals(2 * 10, first.get(0).toFloatArray()[3], "row 1's second feature, doubled");
            }
        }
    }

    @Test
    void pinMemoryWithoutADeviceIsIgnoredLikePyTorch() {
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(50).pinMemory(true).device(io.ddp4j.tensor.Device.CPU).build();
             BatchIterator it = loader.iterator(); Batch first = it.next()) {
            assertEquals(50, first.size());
            assertTrue(first.get(0).device().isCpu());
        }
    }

    /** A copy in flight whose wait becomes known after {@code pollsUntilKnown} polls. */
    private static final class FakeUpload implements io.ddp4j.tensor.backend.PendingUpload {
        final long waitNanos;
        int pollsUntilKnown;
        volatile String orderedOn;
        volatile boolean closed;

        FakeUpload(long waitNanos, int pollsUntilKnown) {
            this.waitNanos = waitNanos;
            this.pollsUntilKnown = pollsUntilKnown;
        }

        @Override
        public void orderBeforeCompute() {
            orderedOn = Thread.currentThread().getName();
        }

        @Override
        public long computeWaitNanos() {
            if (orderedOn == null) return -1;
            return pollsUntilKnown-- > 0 ? -1 : waitNanos;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void deviceCopiesAreOrderedWhenTheConsumerTakesTheBatchAndTheirWaitsAreCounted() {
        List<FakeUpload> made = java.util.Collections.synchronizedList(new ArrayList<>());
        // exactly one copy makes the compute stream wait (two workers call this at once, so the
        // choice is by an atomic count, not by the list's size)
        java.util.concurrent.atomic.AtomicInteger transfers = new java.util.concurrent.atomic.AtomicInteger();
        try (DataLoader loader = DataLoader.builder(dataset).batchSize(50).numWorkers(2)
                .transfer(b -> {
                    FakeUpload u = new FakeUpload(transfers.getAndIncrement() == 0 ? 7_000 : 0, 1);
                    made.add(u);
                    return new Batch(b.tensors(), List.of(u));
                }).build()) {
            String consumer = Thread.currentThread().getName();
            int taken = 0;
            for (Batch b : loader) {
                try (b) {
                    taken++;
                }
            }
            assertEquals(3, taken);
            for (FakeUpload u : made) assertEquals(consumer, u.orderedOn, "copies are ordered on the thread that takes the batch, not on a worker");
            var stats = loader.stats();
            assertEquals(3, stats.batches());
            assertEquals(3, stats.deviceWaitsMeasured(), "every wait is known once polled again: " + stats);
            assertEquals(0, stats.deviceWaitsPending());
            assertEquals(7_000, stats.deviceWaitNanos());
            assertEquals(7_000, stats.maxDeviceWaitNanos());
            assertTrue(made.stream().allMatch(u -> u.closed), "measured copies release their events");
        }
    }

    @Test
    void aBatchClosedBeforeItIsTakenReleasesItsCopies() {
        FakeUpload u = new FakeUpload(0, 0);
        Batch b = new Batch(List.of(Tensor.zeros(2)), List.of(u));
        b.close();
        assertTrue(u.closed);
        assertEquals(null, u.orderedOn, "never taken, never ordered");
    }

    /** 0..n-1 as longs. */
    private static final class LongRange {
        static List<Long> of(int n) {
            return IntStream.range(0, n).mapToObj(i -> (long) i).toList();
        }
    }
}
