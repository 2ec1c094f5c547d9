package io.ddp4j.tensor.memory.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * A captured CUDA graph's memory: every block the capture allocates belongs to the graph, is
 * reused only within it while the graph lives, never comes from (or goes to) the ordinary cache,
 * and joins the cache once the graph is released.
 */
class GraphPoolTest {
    private static final long MiB = 1 << 20;
    private static final long COMPUTE = 0xC;

    private final FakeDeviceMemory gpu = new FakeDeviceMemory(64 * MiB);
    private final CachingAllocator allocator = new CachingAllocator("cuda:0", gpu);

    @Test
    void aCaptureNeverTakesABlockFromTheOrdinaryCache() {
        Block cached = allocator.allocate(4096, COMPUTE);
        allocator.free(cached); // free, but work enqueued before the capture may still be using it
        GraphPool pool = allocator.beginCapture();
        Block inGraph = allocator.allocate(4096, COMPUTE);
        allocator.endCapture(pool);
        assertNotEquals(cached.address(), inGraph.address());
        assertEquals(2, allocator.stats().cudaMallocCalls());
        assertEquals(1, pool.blockCount());
        assertEquals(4096, pool.byteCount());
    }

    @Test
    void aTemporaryFreedDuringTheCaptureIsReusedByTheSameCapture() {
        GraphPool pool = allocator.beginCapture();
        Block temporary = allocator.allocate(1000, COMPUTE);
        allocator.free(temporary);
        Block next = allocator.allocate(1000, COMPUTE);
        allocator.endCapture(pool);
        assertEquals(temporary.address(), next.address(), "the graph replays in the same order, so the reuse is safe");
        assertEquals(1, allocator.stats().cudaMallocCalls());
    }

    @Test
    void whileTheGraphLivesItsBlocksNeverServeOtherWork() {
        GraphPool pool = allocator.beginCapture();
        Block activation = allocator.allocate(8192, COMPUTE);
        Block output = allocator.allocate(256, COMPUTE);
        allocator.free(activation); // the temporary is gone from Java's view, but every replay writes it
        allocator.endCapture(pool);

        Block outside = allocator.allocate(8192, COMPUTE);
        assertNotEquals(activation.address(), outside.address());
        allocator.free(output); // the graph's output freed after the capture: still the graph's
        Block outsideSmall = allocator.allocate(256, COMPUTE);
        assertNotEquals(output.address(), outsideSmall.address());
        assertEquals(4, allocator.stats().cudaMallocCalls());
    }

    @Test
    void releasedItsFreeBlocksJoinTheCacheAndItsLiveOnesJoinWhenFreed() {
        GraphPool pool = allocator.beginCapture();
        Block temporary = allocator.allocate(8192, COMPUTE);
        Block loss = allocator.allocate(4, COMPUTE);
        allocator.free(temporary);
        allocator.endCapture(pool);

        allocator.releasePool(pool);
        Block reused = allocator.allocate(8192, COMPUTE);
        assertEquals(temporary.address(), reused.address());
        allocator.free(loss);
        Block reusedSmall = allocator.allocate(4, COMPUTE);
        assertEquals(loss.address(), reusedSmall.address());
        assertEquals(2, allocator.stats().cudaMallocCalls());
        allocator.releasePool(pool); // twice: nothing more
    }

    @Test
    void aBlockMadeBeforeTheCaptureAndFreedDuringItWaitsForTheGraph() {
        Block gradient = allocator.allocate(4096, COMPUTE); // accumulated into by the captured step, then let go
        GraphPool pool = allocator.beginCapture();
        allocator.free(gradient);
        allocator.endCapture(pool);
        Block outside = allocator.allocate(4096, COMPUTE);
        assertNotEquals(gradient.address(), outside.address(), "every replay still writes it");
        allocator.releasePool(pool);
        Block later = allocator.allocate(4096, COMPUTE);
        assertEquals(gradient.address(), later.address());
    }

    @Test
    void aCaptureNeverSynchronisesTheDevice() {
        GraphPool pool = allocator.beginCapture();
        var e = assertThrows(IllegalStateException.class, allocator::emptyCache);
        assertTrue(e.getMessage().contains("while a CUDA graph is being captured"), e.getMessage());
        Block big = allocator.allocate(60 * MiB, COMPUTE);
        var oom = assertThrows(CudaOutOfMemoryException.class, () -> allocator.allocate(8 * MiB, COMPUTE));
        assertTrue(oom.getMessage().contains("while capturing a CUDA graph"), oom.getMessage());
        assertTrue(gpu.log.stream().noneMatch(l -> l.startsWith("synchronize")), String.valueOf(gpu.log));
        allocator.free(big);
        allocator.endCapture(pool);
    }

    @Test
    void oneCaptureAtATimeAndPoolsAreEndedByTheirOwnCapture() {
        GraphPool pool = allocator.beginCapture();
        var e = assertThrows(IllegalStateException.class, allocator::beginCapture);
        assertTrue(e.getMessage().contains("already being captured"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> allocator.releasePool(pool));
        allocator.endCapture(pool);
        assertThrows(IllegalStateException.class, () -> allocator.endCapture(pool));
        GraphPool second = allocator.beginCapture();
        assertNotEquals(pool.id, second.id);
        allocator.endCapture(second);
    }

    @Test
    void anEarlierGraphsOutputDroppedInsideANewCaptureWaitsForTheNewGraph() {
        GraphPool first = allocator.beginCapture();
        Block output = allocator.allocate(4096, COMPUTE);
        allocator.endCapture(first);
        allocator.releasePool(first); // the first graph is gone, its output still held
        GraphPool second = allocator.beginCapture();
        allocator.free(output); // the second graph read it, then let it go
        allocator.endCapture(second);
        assertNotEquals(output.address(), allocator.allocate(4096, COMPUTE).address(), "the second graph's replays still use it");
        allocator.releasePool(second);
    }

    @Test
    void aLiveGraphsBlockDroppedInsideAnotherCaptureWaitsForBothGraphs() {
        GraphPool first = allocator.beginCapture();
        Block output = allocator.allocate(4096, COMPUTE);
        allocator.endCapture(first);
        GraphPool second = allocator.beginCapture();
        allocator.free(output);
        allocator.endCapture(second);
        allocator.releasePool(first); // the second graph still lives
        assertNotEquals(output.address(), allocator.allocate(4096, COMPUTE).address(), "the second graph's replays still use it");
        allocator.releasePool(second);
        assertEquals(output.address(), allocator.allocate(4096, COMPUTE).address(), "free for all once both graphs are gone");
    }
}
