package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The owner behaviour every cuBLAS/cuBLASLt wrapper inherits, with a destroy that only records. */
class OwnedHandleTest {

    private static final class Recorded extends OwnedHandle {
        final List<Long> destroyed = new ArrayList<>();

        Recorded(long handle) {
            super(handle, "test handle");
        }

        @Override
        void destroy(long handle) {
            destroyed.add(handle);
        }
    }

    @Test
    void closeDestroysOnceAndLaterUseThrows() {
        Recorded h = new Recorded(0xABCL);
        assertEquals(0xABCL, h.handle());
        assertFalse(h.isClosed());
        h.close();
        h.close();
        assertEquals(List.of(0xABCL), h.destroyed);
        assertTrue(h.isClosed());
        var e = assertThrows(IllegalStateException.class, h::handle);
        assertEquals("test handle is closed", e.getMessage());
        assertTrue(h.toString().endsWith("(closed)"));
    }

    @Test
    void aNullHandleFromTheLibraryIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Recorded(0));
    }

    @Test
    void concurrentClosesDestroyOnce() throws Exception {
        Recorded h = new Recorded(7);
        Thread[] threads = new Thread[8];
        for (int i = 0; i < threads.length; i++) (threads[i] = new Thread(h::close)).start();
        for (Thread t : threads) t.join();
        assertEquals(List.of(7L), h.destroyed);
    }
}
