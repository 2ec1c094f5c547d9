package io.ddp4j.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread scratch memory for C out-parameters ({@code T* out}). The bindings return what a C
 * function writes through its out-parameter, so a call allocates nothing: each thread owns one
 * small segment, written by the native call and read right after it, before any other call.
 */
public final class OutParams {
    /** Room for the largest out-parameter a binding reads back (a few values, or an NCCL unique id). */
    public static final long SIZE = 1024;

    private static final ThreadLocal<MemorySegment> SCRATCH =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(SIZE, 64));

    private OutParams() {}

    /** This thread's scratch segment, zeroed: for out-parameters C may leave partly unwritten. */
    public static MemorySegment zeroed() {
        return SCRATCH.get().fill((byte) 0);
    }

    /** This thread's scratch segment as it is: for single values that C always writes on success. */
    public static MemorySegment raw() {
        return SCRATCH.get();
    }
}
