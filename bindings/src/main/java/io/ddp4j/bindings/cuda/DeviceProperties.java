package io.ddp4j.bindings.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * What ddp4j reads of {@code struct cudaDeviceProp}. The offsets are those of CUDA 13's
 * {@code driver_types.h} (checked against {@code offsetof} in a test); the struct is 1008 bytes
 * and ddp4j hands the runtime a larger buffer so a newer runtime's bigger struct still fits.
 */
public record DeviceProperties(int device, String name, long totalGlobalMem, int multiProcessorCount, int major, int minor) {
    static final long NAME_OFFSET = 0, NAME_SIZE = 256, TOTAL_GLOBAL_MEM_OFFSET = 288,
            MAJOR_OFFSET = 360, MINOR_OFFSET = 364, MULTI_PROCESSOR_COUNT_OFFSET = 384;
    /** sizeof(cudaDeviceProp) in CUDA 13.0. */
    public static final long STRUCT_SIZE = 1008;
    static final long STRUCT_SIZE_WITH_MARGIN = 4096;

    static DeviceProperties read(int device, MemorySegment p) {
        String name = p.asSlice(NAME_OFFSET, NAME_SIZE).getString(0);
        return new DeviceProperties(device, name, p.get(JAVA_LONG, TOTAL_GLOBAL_MEM_OFFSET),
                p.get(JAVA_INT, MULTI_PROCESSOR_COUNT_OFFSET), p.get(JAVA_INT, MAJOR_OFFSET), p.get(JAVA_INT, MINOR_OFFSET));
    }

    /** e.g. "sm_90". */
    public String computeCapability() {
        return "sm_" + major + minor;
    }
}
