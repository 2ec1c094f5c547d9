package io.ddp4j.tensor.memory;

import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Freed CPU storage is reused, zeroed, and never touched through the old storage. */
class HostBlockPoolTest {
    @Test
    void sizeClassesArePowersOfTwoUpToAMebibyteThenWholeMebibytes() {
        assertEquals(64, HostBlockPool.sizeClass(1));
        assertEquals(64, HostBlockPool.sizeClass(64));
        assertEquals(128, HostBlockPool.sizeClass(65));
        assertEquals(1 << 20, HostBlockPool.sizeClass((1 << 20) - 1));
        assertEquals(2 << 20, HostBlockPool.sizeClass((1 << 20) + 1));
        assertEquals(3 << 20, HostBlockPool.sizeClass((2 << 20) + 5));
    }

    @Test
    void aFreedBlockComesBackZeroedForTheNextStorageOfItsClass() {
        CpuStorage a = CpuStorage.allocate(1000);
        long address = a.segment().address();
        a.segment().fill((byte) 7);
        a.release();
        assertThrows(IllegalStateException.class, a::segment, "a freed storage refuses access");
        CpuStorage b = CpuStorage.allocate(900); // same class (1 KiB): the block just freed
        try {
            assertEquals(address, b.segment().address());
            for (long i = 0; i < 900; i++) assertEquals(0, b.segment().get(ValueLayout.JAVA_BYTE, i), "byte " + i + " is zeroed");
            assertEquals(900, b.byteSize());
        } finally {
            b.release();
        }
    }

    @Test
    void idleBlocksAreCappedSoFreedMemoryIsNotAllKept() {
        long before = HostBlockPool.pooledBytes();
        CpuStorage big = CpuStorage.allocate(HostBlockPool.MAX_POOLED_BYTES + 1);
        big.release();
        assertEquals(before, HostBlockPool.pooledBytes(), "a block larger than the cap is closed, not pooled");
    }
}
