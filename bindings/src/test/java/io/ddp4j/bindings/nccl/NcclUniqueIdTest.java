package io.ddp4j.bindings.nccl;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NcclUniqueIdTest {

    private static byte[] sampleBytes(long seed) {
        byte[] b = new byte[128];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void isTheHeadersStructOf128Chars() {
        // nccl.h: #define NCCL_UNIQUE_ID_BYTES 128; typedef struct { char internal[NCCL_UNIQUE_ID_BYTES]; } ncclUniqueId;
        assertEquals(128, NcclUniqueId.BYTES);
        assertEquals(128, NcclUniqueId.LAYOUT.byteSize());
        assertEquals(1, NcclUniqueId.LAYOUT.byteAlignment());
    }

    @Test
    void roundTripsThroughBytes() {
        byte[] b = sampleBytes(1);
        NcclUniqueId id = NcclUniqueId.fromBytes(b);
        assertArrayEquals(b, id.toBytes());
        assertEquals(id, NcclUniqueId.fromBytes(id.toBytes()));
        assertEquals(id.hashCode(), NcclUniqueId.fromBytes(b).hashCode());
        assertNotEquals(id, NcclUniqueId.fromBytes(sampleBytes(2)));
    }

    @Test
    void cannotBeChangedThroughTheArrays() {
        byte[] b = sampleBytes(3);
        byte[] original = b.clone();
        NcclUniqueId id = NcclUniqueId.fromBytes(b);
        b[0] ^= 1;
        id.toBytes()[1] ^= 1;
        assertArrayEquals(original, id.toBytes());
    }

    @Test
    void roundTripsThroughNativeMemory() {
        NcclUniqueId id = NcclUniqueId.fromBytes(sampleBytes(4));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = id.toSegment(arena);
            assertEquals(128, s.byteSize());
            assertArrayEquals(id.toBytes(), s.toArray(JAVA_BYTE));
            assertEquals(id, NcclUniqueId.read(s));
        }
    }

    @Test
    void rejectsOtherLengths() {
        var e = assertThrows(IllegalArgumentException.class, () -> NcclUniqueId.fromBytes(new byte[127]));
        assertTrue(e.getMessage().contains("128") && e.getMessage().contains("127"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NcclUniqueId.fromBytes(new byte[129]));
        assertThrows(IllegalArgumentException.class, () -> NcclUniqueId.fromBytes(null));
    }

    @Test
    void printsOnlyAPrefix() {
        byte[] b = new byte[128];
        b[0] = (byte) 0xab;
        b[100] = (byte) 0xcd;
        String s = NcclUniqueId.fromBytes(b).toString();
        assertTrue(s.contains("ab00000000000000"), s);
        assertTrue(!s.contains("cd"), s);
    }
}
