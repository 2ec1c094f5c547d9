package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * One {@code cublasLtMatmulHeuristicResult_t}, as cublasLt.h (cuBLAS 12.x and 13.x) declares it:
 * <pre>
 *   offset  0  cublasLtMatmulAlgo_t algo     (uint64_t data[8], 64 bytes)
 *   offset 64  size_t workspaceSize
 *   offset 72  cublasStatus_t state          (int)
 *   offset 76  float wavesCount
 *   offset 80  int reserved[4]
 *   size 96, alignment 8
 * </pre>
 *
 * @param state         {@code CUBLAS_STATUS_SUCCESS} when the other fields are valid
 * @param workspaceSize bytes of workspace the algorithm needs
 * @param wavesCount    how fully one launch occupies the GPU (1.0: exactly one wave)
 */
public record LtHeuristicResult(int state, long workspaceSize, float wavesCount) {

    /** {@code cublasLtMatmulAlgo_t}: an opaque 64-byte value that {@code cublasLtMatmul} takes by address. */
    public static final MemoryLayout ALGO_LAYOUT = MemoryLayout.sequenceLayout(8, JAVA_LONG).withName("algo");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ALGO_LAYOUT,
            JAVA_LONG.withName("workspaceSize"),
            JAVA_INT.withName("state"),
            JAVA_FLOAT.withName("wavesCount"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("reserved")).withName("cublasLtMatmulHeuristicResult_t");

    private static final VarHandle WORKSPACE = field("workspaceSize"), STATE = field("state"), WAVES = field("wavesCount");

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(name));
    }

    /** Reads the {@code index}-th result of an array of them. */
    public static LtHeuristicResult read(MemorySegment array, long index) {
        MemorySegment r = element(array, index);
        return new LtHeuristicResult((int) STATE.get(r, 0L), (long) WORKSPACE.get(r, 0L), (float) WAVES.get(r, 0L));
    }

    /** The 64-byte algorithm descriptor inside the {@code index}-th result, as a slice (no copy). */
    public static MemorySegment algo(MemorySegment array, long index) {
        return element(array, index).asSlice(0, ALGO_LAYOUT.byteSize());
    }

    private static MemorySegment element(MemorySegment array, long index) {
        return array.asSlice(index * LAYOUT.byteSize(), LAYOUT.byteSize());
    }

    public boolean succeeded() {
        return state == Cublas.CUBLAS_STATUS_SUCCESS;
    }
}
