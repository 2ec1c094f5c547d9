package io.ddp4j.bindings.cublas;

import java.util.Map;

/**
 * {@code cudaDataType_t} from the CUDA toolkit's {@code library_types.h}: how cuBLAS and cuBLASLt
 * name the element type of a matrix, a scale factor or a bias vector.
 */
public final class CudaDataType {
    private CudaDataType() {}

    public static final int CUDA_R_32F = 0, CUDA_R_64F = 1, CUDA_R_16F = 2, CUDA_R_8I = 3, CUDA_R_8U = 8,
            CUDA_R_32I = 10, CUDA_R_32U = 12, CUDA_R_16BF = 14, CUDA_R_16I = 20, CUDA_R_64I = 24,
            CUDA_R_8F_E4M3 = 28, CUDA_R_8F_E5M2 = 29;
    public static final int CUDA_C_32F = 4, CUDA_C_64F = 5;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(CUDA_R_32F, "CUDA_R_32F"), Map.entry(CUDA_R_64F, "CUDA_R_64F"), Map.entry(CUDA_R_16F, "CUDA_R_16F"),
            Map.entry(CUDA_R_8I, "CUDA_R_8I"), Map.entry(CUDA_R_8U, "CUDA_R_8U"), Map.entry(CUDA_R_32I, "CUDA_R_32I"),
            Map.entry(CUDA_R_32U, "CUDA_R_32U"), Map.entry(CUDA_R_16BF, "CUDA_R_16BF"), Map.entry(CUDA_R_16I, "CUDA_R_16I"),
            Map.entry(CUDA_R_64I, "CUDA_R_64I"), Map.entry(CUDA_R_8F_E4M3, "CUDA_R_8F_E4M3"),
            Map.entry(CUDA_R_8F_E5M2, "CUDA_R_8F_E5M2"), Map.entry(CUDA_C_32F, "CUDA_C_32F"), Map.entry(CUDA_C_64F, "CUDA_C_64F"));

    private static final Map<Integer, Integer> BYTES = Map.ofEntries(
            Map.entry(CUDA_R_32F, 4), Map.entry(CUDA_R_64F, 8), Map.entry(CUDA_R_16F, 2), Map.entry(CUDA_R_8I, 1),
            Map.entry(CUDA_R_8U, 1), Map.entry(CUDA_R_32I, 4), Map.entry(CUDA_R_32U, 4), Map.entry(CUDA_R_16BF, 2),
            Map.entry(CUDA_R_16I, 2), Map.entry(CUDA_R_64I, 8), Map.entry(CUDA_R_8F_E4M3, 1), Map.entry(CUDA_R_8F_E5M2, 1),
            Map.entry(CUDA_C_32F, 8), Map.entry(CUDA_C_64F, 16));

    /** e.g. {@code CUDA_R_16BF}; unknown values read {@code cudaDataType(99)}. */
    public static String name(int type) {
        return NAMES.getOrDefault(type, "cudaDataType(" + type + ")");
    }

    public static boolean isKnown(int type) {
        return BYTES.containsKey(type);
    }

    /** Bytes per element, to check sizes and alignments before a pointer reaches the library. */
    public static int byteSize(int type) {
        Integer b = BYTES.get(type);
        if (b == null) throw new IllegalArgumentException("unknown cudaDataType_t " + type);
        return b;
    }
}
