package io.ddp4j.bindings.cudnn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * One entry of what cuDNN's algorithm search returns. The three C structs
 * ({@code cudnnConvolutionFwdAlgoPerf_t}, {@code ...BwdDataAlgoPerf_t}, {@code ...BwdFilterAlgoPerf_t},
 * cudnn_cnn.h) have the same fields in the same order, so one layout reads all three:
 * <pre>
 *   int algo; cudnnStatus_t status; float time; (4 bytes padding) size_t memory;
 *   cudnnDeterminism_t determinism; cudnnMathType_t mathType; int reserved[3];   // 48 bytes, 8-aligned
 * </pre>
 * {@code algo} is a value of the pass's own algorithm enum; {@code timeMs} is what a
 * {@code Find} call measured (a heuristic {@code Get} reports -1 or 0).
 */
public record ConvolutionAlgoPerf(int algo, int status, float timeMs, long memory, int determinism, int mathType) {

    /** The C struct as laid out on the 64-bit ABIs cuDNN ships for. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("algo"),
            JAVA_INT.withName("status"),
            JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4),
            JAVA_LONG.withName("memory"),
            JAVA_INT.withName("determinism"),
            JAVA_INT.withName("mathType"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    static final long ALGO = offset("algo"), STATUS = offset("status"), TIME = offset("time"), MEMORY = offset("memory"),
            DETERMINISM = offset("determinism"), MATH_TYPE = offset("mathType");

    private static long offset(String field) {
        return LAYOUT.byteOffset(PathElement.groupElement(field));
    }

    /** Reads entry {@code index} of a C array of perf structs. */
    public static ConvolutionAlgoPerf read(MemorySegment array, int index) {
        long base = index * LAYOUT.byteSize();
        return new ConvolutionAlgoPerf(
                array.get(JAVA_INT, base + ALGO),
                array.get(JAVA_INT, base + STATUS),
                array.get(JAVA_FLOAT, base + TIME),
                array.get(JAVA_LONG, base + MEMORY),
                array.get(JAVA_INT, base + DETERMINISM),
                array.get(JAVA_INT, base + MATH_TYPE));
    }

    /** True when cuDNN could run this algorithm for the given descriptors. */
    public boolean usable() {
        return status == CudnnConstants.CUDNN_STATUS_SUCCESS;
    }

    public boolean deterministic() {
        return determinism == CudnnConstants.CUDNN_DETERMINISTIC;
    }

    /** True when the algorithm runs on tensor cores (TF32 for FP32 data on Ampere and later). */
    public boolean usesTensorCores() {
        return mathType == CudnnConstants.CUDNN_TENSOR_OP_MATH || mathType == CudnnConstants.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    }
}
