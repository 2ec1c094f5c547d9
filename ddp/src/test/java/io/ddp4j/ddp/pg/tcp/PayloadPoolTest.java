package io.ddp4j.ddp.pg.tcp;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PayloadPoolTest {
    @Test
    void aBufferHoldsExactlyTheRequestedBytesAndIsOffHeap() {
        PayloadPool pool = new PayloadPool();
        for (int n : new int[] {1, 1000, 1024, 1025, 65536, 100_000}) {
            ByteBuffer b = pool.take(n);
            assertEquals(0, b.position());
            assertEquals(n, b.remaining(), "take(" + n + ")");
            assertTrue(b.isDirect());
            assertEquals(Integer.bitCount(b.capacity()), 1, "power-of-two capacity for " + n);
        }
        assertEquals(0, pool.take(0).remaining());
    }

    @Test
    void aBufferHandedBackIsReusedForAnySizeInItsClass() {
        PayloadPool pool = new PayloadPool();
        ByteBuffer first = pool.take(3000);
        first.put(0, (byte) 7).position(100);
        pool.give(first);
        ByteBuffer again = pool.take(4096);
        assertSame(first, again);
        assertEquals(0, again.position());
        assertEquals(4096, again.limit());
        assertNotSame(again, pool.take(3000), "a buffer in use is never handed out twice");
    }

    @Test
    void idleBuffersAreCappedSoAHugeOpDoesNotPinItsMemory() {
        PayloadPool pool = new PayloadPool();
        List<ByteBuffer> big = new ArrayList<>();
        for (int i = 0; i < 10; i++) big.add(pool.take(16 << 20));
        big.forEach(pool::give);
        // 64 MiB of idle buffers at most: four of the ten come back, the rest are left to the collector
        List<ByteBuffer> reused = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ByteBuffer b = pool.take(16 << 20);
            if (big.stream().anyMatch(x -> x == b)) reused.add(b);
        }
        assertEquals(4, reused.size());
    }
}
