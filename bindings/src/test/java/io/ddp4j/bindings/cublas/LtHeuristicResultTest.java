package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The struct layout against cublasLt.h (cuBLAS 12.x and 13.x): cublasLtMatmulAlgo_t algo
 * (uint64_t data[8]); size_t workspaceSize; cublasStatus_t state; float wavesCount;
 * int reserved[4]. That is 64 + 8 + 4 + 4 + 16 = 96 bytes with no padding, aligned to 8.
 */
class LtHeuristicResultTest {

    @Test
    void layoutMatchesTheHeader() {
        assertEquals(96, LtHeuristicResult.LAYOUT.byteSize());
        assertEquals(8, LtHeuristicResult.LAYOUT.byteAlignment());
        assertEquals(64, LtHeuristicResult.ALGO_LAYOUT.byteSize());
        assertEquals(0, LtHeuristicResult.LAYOUT.byteOffset(PathElement.groupElement("algo")));
        assertEquals(64, LtHeuristicResult.LAYOUT.byteOffset(PathElement.groupElement("workspaceSize")));
        assertEquals(72, LtHeuristicResult.LAYOUT.byteOffset(PathElement.groupElement("state")));
        assertEquals(76, LtHeuristicResult.LAYOUT.byteOffset(PathElement.groupElement("wavesCount")));
        assertEquals(80, LtHeuristicResult.LAYOUT.byteOffset(PathElement.groupElement("reserved")));
    }

    @Test
    void readsTheSecondOfTwoResultsWrittenAtRawOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(LtHeuristicResult.LAYOUT, 2);
            long second = 96;
            for (int i = 0; i < 8; i++) array.set(JAVA_LONG, second + 8L * i, 0x1000L + i);
            array.set(JAVA_LONG, second + 64, 1L << 22);
            array.set(JAVA_INT, second + 72, 0);
            array.set(JAVA_FLOAT, second + 76, 1.5f);
            array.set(JAVA_INT, 72, 15);

            LtHeuristicResult r = LtHeuristicResult.read(array, 1);
            assertEquals(1L << 22, r.workspaceSize());
            assertEquals(1.5f, r.wavesCount());
            assertTrue(r.succeeded());
            assertFalse(LtHeuristicResult.read(array, 0).succeeded());

            MemorySegment algo = LtHeuristicResult.algo(array, 1);
            assertEquals(64, algo.byteSize());
            assertEquals(0x1000L, algo.get(JAVA_LONG, 0));
            assertEquals(0x1007L, algo.get(JAVA_LONG, 56));
        }
    }
}
