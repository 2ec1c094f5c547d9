package io.ddp4j.bindings.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/** {@code dim3}: three unsigned ints, passed to cudaLaunchKernel by value. */
public final class Dim3 {
    private Dim3() {}

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("x"), JAVA_INT.withName("y"), JAVA_INT.withName("z")).withName("dim3");

    public static MemorySegment allocate(SegmentAllocator allocator, int x, int y, int z) {
        MemorySegment s = allocator.allocate(LAYOUT);
        set(s, x, y, z);
        return s;
    }

    public static void set(MemorySegment s, int x, int y, int z) {
        s.set(JAVA_INT, 0, x);
        s.set(JAVA_INT, 4, y);
        s.set(JAVA_INT, 8, z);
    }
}
