package io.ddp4j.bindings.cudnn;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host scratch for the scaling factors ({@code alpha}, {@code beta}) cuDNN takes by pointer. cuDNN
 * reads them as {@code double} when the tensors are {@code CUDNN_DATA_DOUBLE} and as {@code float}
 * for every other data type; writing the wrong width gives silently wrong results, so the width
 * is always chosen here from the data type, never by the caller.
 * <p>
 * Each thread owns a few slots; a call's factors must sit in different slots (batch-norm backward
 * takes four), which {@link #alpha}, {@link #beta} and {@link #slot} guarantee.
 */
public final class CudnnScalars {
    private CudnnScalars() {}

    /** How many factors one call can pass. */
    public static final int SLOTS = 4;
    private static final long SLOT_BYTES = 16;

    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SLOTS * SLOT_BYTES, 16));

    /** Writes {@code value} into slot {@code index} in the width cuDNN reads for {@code dataType}; returns its address. */
    public static long slot(int index, int dataType, double value) {
        if (index < 0 || index >= SLOTS) throw new IllegalArgumentException("scaling-factor slot " + index + " is not in 0.." + (SLOTS - 1));
        MemorySegment s = SCRATCH.get();
        long offset = index * SLOT_BYTES;
        if (isDouble(dataType)) s.set(JAVA_DOUBLE, offset, value);
        else s.set(JAVA_FLOAT, offset, (float) value);
        return s.address() + offset;
    }

    /** The address of {@code alpha} (slot 0). */
    public static long alpha(int dataType, double value) {
        return slot(0, dataType, value);
    }

    /** The address of {@code beta} (slot 1). */
    public static long beta(int dataType, double value) {
        return slot(1, dataType, value);
    }

    /** True when cuDNN reads the scaling factors of {@code dataType} tensors as {@code double}. */
    public static boolean isDouble(int dataType) {
        return dataType == CudnnConstants.CUDNN_DATA_DOUBLE;
    }

    /** This thread's scratch, for tests that read back what was written. */
    static MemorySegment scratch() {
        return SCRATCH.get();
    }
}
