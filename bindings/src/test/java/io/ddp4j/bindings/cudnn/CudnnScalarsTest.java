package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class CudnnScalarsTest {

    private static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Test
    void floatForEveryTypeButDouble() {
        for (int type : new int[] {CUDNN_DATA_FLOAT, CUDNN_DATA_HALF, CUDNN_DATA_BFLOAT16, CUDNN_DATA_INT8}) {
            long alpha = CudnnScalars.alpha(type, 1.5);
            assertEquals(1.5f, at(alpha, 4).get(JAVA_FLOAT, 0), "data type " + type);
        }
        long alpha = CudnnScalars.alpha(CUDNN_DATA_DOUBLE, 0.1);
        assertEquals(0.1, at(alpha, 8).get(JAVA_DOUBLE, 0));
    }

    @Test
    void slotsAreDistinctAndAligned() {
        long a = CudnnScalars.alpha(CUDNN_DATA_DOUBLE, 2.0);
        long b = CudnnScalars.beta(CUDNN_DATA_DOUBLE, -3.0);
        long c = CudnnScalars.slot(2, CUDNN_DATA_FLOAT, 4.0);
        long d = CudnnScalars.slot(3, CUDNN_DATA_FLOAT, 5.0);
        assertNotEquals(a, b);
        assertTrue(Math.abs(b - a) >= 8 && Math.abs(c - b) >= 8 && Math.abs(d - c) >= 8, "slots must not overlap a double");
        for (long p : new long[] {a, b, c, d}) assertEquals(0, p % 8, "cuDNN reads a double from an aligned address");
        assertEquals(2.0, at(a, 8).get(JAVA_DOUBLE, 0));
        assertEquals(-3.0, at(b, 8).get(JAVA_DOUBLE, 0));
        assertEquals(4.0f, at(c, 4).get(JAVA_FLOAT, 0));
        assertEquals(5.0f, at(d, 4).get(JAVA_FLOAT, 0));
    }

    @Test
    void eachThreadHasItsOwnSlots() throws InterruptedException {
        long mine = CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1);
        long[] theirs = new long[1];
        Thread t = new Thread(() -> theirs[0] = CudnnScalars.alpha(CUDNN_DATA_FLOAT, 2));
        t.start();
        t.join();
        assertNotEquals(mine, theirs[0]);
        assertEquals(1f, at(mine, 4).get(JAVA_FLOAT, 0));
    }

    @Test
    void badSlotIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> CudnnScalars.slot(4, CUDNN_DATA_FLOAT, 1));
        assertTrue(e.getMessage().contains("slot 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CudnnScalars.slot(-1, CUDNN_DATA_FLOAT, 1));
    }
}
