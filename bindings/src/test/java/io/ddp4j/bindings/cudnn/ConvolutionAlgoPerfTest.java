package io.ddp4j.bindings.cudnn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The perf-result layout against the C struct. The expected numbers come from compiling
 * cudnn_cnn.h (cuDNN 9.6.0) with gcc on x86-64 and printing sizeof and offsetof for
 * cudnnConvolutionFwdAlgoPerf_t (BwdData and BwdFilter gave the same): size 48, algo 0, status 4,
 * time 8, memory 16, determinism 24, mathType 28, reserved 32.
 */
class ConvolutionAlgoPerfTest {

    @Test
    void layoutMatchesTheCStruct() {
        assertEquals(48, ConvolutionAlgoPerf.LAYOUT.byteSize());
        assertEquals(8, ConvolutionAlgoPerf.LAYOUT.byteAlignment());
        assertEquals(0, ConvolutionAlgoPerf.ALGO);
        assertEquals(4, ConvolutionAlgoPerf.STATUS);
        assertEquals(8, ConvolutionAlgoPerf.TIME);
        assertEquals(16, ConvolutionAlgoPerf.MEMORY);
        assertEquals(24, ConvolutionAlgoPerf.DETERMINISM);
        assertEquals(28, ConvolutionAlgoPerf.MATH_TYPE);
        assertEquals(32, ConvolutionAlgoPerf.LAYOUT.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("reserved")));
    }

    @Test
    void readsEntriesOfACArray() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = arena.allocate(3 * 48L, 8);
            // written at the C offsets by hand, not through the layout under test
            writeEntry(array, 0, 1, 0, 0.25f, 1L << 33, 1, 3);
            writeEntry(array, 1, 6, 3000, -1f, 0, 0, 1);
            writeEntry(array, 2, 7, 0, 12.5f, 4096, 1, 0);
            assertEquals(new ConvolutionAlgoPerf(1, 0, 0.25f, 1L << 33, 1, 3), ConvolutionAlgoPerf.read(array, 0));
            assertEquals(new ConvolutionAlgoPerf(6, 3000, -1f, 0, 0, 1), ConvolutionAlgoPerf.read(array, 1));
            assertEquals(new ConvolutionAlgoPerf(7, 0, 12.5f, 4096, 1, 0), ConvolutionAlgoPerf.read(array, 2));
        }
    }

    private static void writeEntry(MemorySegment array, int index, int algo, int status, float time, long memory, int determinism, int mathType) {
        long base = 48L * index;
        array.set(JAVA_INT, base, algo);
        array.set(JAVA_INT, base + 4, status);
        array.set(JAVA_FLOAT, base + 8, time);
        array.set(JAVA_LONG, base + 16, memory);
        array.set(JAVA_INT, base + 24, determinism);
        array.set(JAVA_INT, base + 28, mathType);
        for (int i = 0; i < 3; i++) array.set(JAVA_INT, base + 32 + 4L * i, -1);
    }

    @Test
    void flags() {
        ConvolutionAlgoPerf tensorCore = new ConvolutionAlgoPerf(1, 0, 0, 0, 1, CudnnConstants.CUDNN_TENSOR_OP_MATH);
        assertTrue(tensorCore.usable());
        assertTrue(tensorCore.deterministic());
        assertTrue(tensorCore.usesTensorCores());
        ConvolutionAlgoPerf failed = new ConvolutionAlgoPerf(0, CudnnConstants.CUDNN_STATUS_NOT_SUPPORTED, 0, 0, 0, CudnnConstants.CUDNN_FMA_MATH);
        assertFalse(failed.usable());
        assertFalse(failed.deterministic());
        assertFalse(failed.usesTensorCores());
        assertTrue(new ConvolutionAlgoPerf(0, 0, 0, 0, 0, CudnnConstants.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION).usesTensorCores());
    }
}
