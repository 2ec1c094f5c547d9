package io.ddp4j.ddp.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class HostBufferTest {

    @Test
    void confinedMemoryIsRefusedUpFrontBecauseTheGroupsThreadCouldNotTouchIt() {
        try (Arena confined = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> HostBuffer.allocate(confined, DType.F32, 4));
            assertTrue(e.getMessage().contains("Arena.ofShared()"), e.getMessage());
        }
    }

    @Test
    void sharedHeapAndAutoMemoryAreAccepted() {
        try (Arena shared = Arena.ofShared()) {
            assertEquals(4, HostBuffer.allocate(shared, DType.F32, 4).count());
        }
        assertEquals(3, HostBuffer.of(1f, 2f, 3f).count());
        assertEquals(2, HostBuffer.allocate(Arena.ofAuto(), DType.I64, 2).count());
    }
}
