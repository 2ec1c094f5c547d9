package io.ddp4j.tensor.memory.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachingAllocatorTest {
    private static final long MiB = 1 << 20;
    private static final long STREAM_A = 0xA, STREAM_B = 0xB;

    private final FakeDeviceMemory gpu = new FakeDeviceMemory(64 * MiB);
    private final CachingAllocator allocator = new CachingAllocator("cuda:0", gpu);

    @Test
    void aFreedBlockIsReusedAtOnceOnItsOwnStream() {
        Block first = allocator.allocate(1000, STREAM_A);
        allocator.free(first);
        Block second = allocator.allocate(900, STREAM_A); // same size class (1024)
        assertEquals(first.address(), second.address());
        assertEquals(1, allocator.stats().cudaMallocCalls());
        assertEquals(1, allocator.stats().cacheHits());
        assertEquals(List.of("malloc 1024"), gpu.log, "no event, no wait, no second malloc");
    }

    @Test
    void aSteadyTrainingLoopMakesNoCudaMallocAfterItsFirstIteration() {
        long[] sizes = {784 * 512 * 4, 512 * 4, 512 * 512 * 4, 128 * 784 * 4, 128 * 10 * 4, 7};
        long mallocsAfterFirst = -1;
        for (int iteration = 0; iteration < 50; iteration++) {
            List<Block> step = new ArrayList<>();
            for (long s : sizes) step.add(allocator.allocate(s, STREAM_A));
            for (int i = step.size() - 1; i >= 0; i--) allocator.free(step.get(i));
            if (iteration == 0) mallocsAfterFirst = allocator.stats().cudaMallocCalls();
        }
        assertEquals(sizes.length, mallocsAfterFirst);
        assertEquals(mallocsAfterFirst, allocator.stats().cudaMallocCalls());
        assertEquals(0, allocator.stats().cudaFreeCalls());
        assertEquals(0, allocator.stats().allocatedBytes());
    }

    @Test
    void aBlockWhoseLastUseMovedToAnotherStreamIsReusedOnlyAfterThatStreamsWork() {
        // the data loader's case: a batch allocated on compute (A), filled by a copy on the copy
        // stream (B), then closed before the consumer ordered the copy before compute work
        Block batch = allocator.allocate(4096, STREAM_A);
        allocator.moveToStream(batch, STREAM_B);
        allocator.free(batch);
        gpu.log.clear();

        Block next = allocator.allocate(4096, STREAM_A);

        assertEquals(batch.address(), next.address());
        assertEquals(List.of("record event 1 on stream 11", "stream 10 waits for event 1"), gpu.log,
                "compute waits for the copy stream before it writes the block again");
    }

    @Test
    void aBlockMovedBackToItsStreamIsReusedThereAtOnce() {
        Block batch = allocator.allocate(4096, STREAM_A);
        allocator.moveToStream(batch, STREAM_B);
        allocator.moveToStream(batch, STREAM_A); // the consumer made compute wait for the copy
        allocator.free(batch);
        gpu.log.clear();
        assertEquals(batch.address(), allocator.allocate(4096, STREAM_A).address());
        assertEquals(List.of(), gpu.log);
    }

    @Test
    void aBlockFreedAfterCloseGoesBackToTheDriver() {
        Block b = allocator.allocate(4096, STREAM_A);
        allocator.close();
        allocator.free(b); // a cleaner that ran after the backend closed
        assertTrue(gpu.allocations.isEmpty(), "still allocated: " + gpu.allocations);
        assertEquals(0, allocator.stats().reservedBytes());
    }

    @Test
    void anotherStreamReusesABlockOnlyAfterWaitingForAnEventOnTheOldStream() {
        Block onA = allocator.allocate(4096, STREAM_A);
        allocator.free(onA);
        gpu.log.clear();

        Block onB = allocator.allocate(4096, STREAM_B);

        assertEquals(onA.address(), onB.address());
        assertEquals(STREAM_B, onB.stream());
        assertEquals(List.of("record event 1 on stream 10", "stream 11 waits for event 1"), gpu.log,
                "the event is recorded on the old stream before the new one waits; the host never blocks");
        assertEquals(1, allocator.stats().crossStreamReuses());
    }

    @Test
    void outOfMemoryGivesTheCacheBackAndRetriesOnce() {
        Block big = allocator.allocate(40 * MiB, STREAM_A);
        allocator.free(big);                     // 40 MiB cached, not returned
        Block other = allocator.allocate(30 * MiB, STREAM_A); // does not fit beside the cached block
        assertTrue(gpu.log.containsAll(List.of("synchronize", "free " + (40 * MiB))), gpu.log.toString());
        assertEquals(1, allocator.stats().cudaFreeCalls());
        assertEquals(SizeClasses.roundUp(30 * MiB), allocator.stats().reservedBytes());
        allocator.free(other);
    }

    @Test
    void outOfMemoryAfterTheRetryStatesTheNumbers() {
        Block held = allocator.allocate(48 * MiB, STREAM_A); // exactly a size class
        var e = assertThrows(CudaOutOfMemoryException.class, () -> allocator.allocate(20 * MiB, STREAM_A));
        String m = e.getMessage();
        assertTrue(m.startsWith("CUDA out of memory on cuda:0: tried to allocate 20.00 MiB (20971520 bytes requested)"), m);
        assertTrue(m.contains("48.00 MiB allocated and 48.00 MiB reserved"), m);
        assertTrue(m.contains("the driver reports 16.00 MiB free of 64.00 MiB total"), m);
        assertEquals(20 * MiB, e.requestedBytes());
        allocator.free(held);
    }

    @Test
    void freeingTwiceIsAnErrorNotACorruptedCache() {
        Block b = allocator.allocate(100, STREAM_A);
        allocator.free(b);
        var e = assertThrows(IllegalStateException.class, () -> allocator.free(b));
        assertTrue(e.getMessage().contains("freed twice"), e.getMessage());
        Block x = allocator.allocate(100, STREAM_A), y = allocator.allocate(100, STREAM_A);
        assertNotEquals(x.address(), y.address(), "the block was cached once, not twice");
    }

    @Test
    void statisticsTrackAllocatedReservedAndPeak() {
        Block a = allocator.allocate(3 * MiB, STREAM_A), b = allocator.allocate(MiB, STREAM_A);
        allocator.free(a);
        AllocatorStats s = allocator.stats();
        assertEquals(MiB, s.allocatedBytes());
        assertEquals(4 * MiB, s.reservedBytes());
        assertEquals(4 * MiB, s.peakAllocatedBytes());
        assertEquals(3 * MiB, s.cachedBytes());
        allocator.resetPeak();
        assertEquals(MiB, allocator.stats().peakAllocatedBytes());
        allocator.free(b);
        allocator.emptyCache();
        assertEquals(0, allocator.stats().reservedBytes());
        assertTrue(gpu.allocations.isEmpty());
    }

    @Test
    void closingGivesEverythingBackAndRefusesNewWork() {
        allocator.free(allocator.allocate(10, STREAM_A));
        allocator.free(allocator.allocate(10, STREAM_A));
        allocator.allocate(10, STREAM_B); // takes the cached block over, creating the event
        allocator.close();
        allocator.close();
        assertTrue(gpu.log.contains("destroyEvent 1"));
        assertThrows(IllegalStateException.class, () -> allocator.allocate(10, STREAM_A));
    }
}
