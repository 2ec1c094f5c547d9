package io.ddp4j.ddp.pg;

import io.ddp4j.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code count} elements of {@code dtype} in host memory, in native byte order: what the CPU
 * collectives read and write until tensors arrive (a Tensor overload will hand its host segment
 * here). The segment may be larger than {@code count} elements; only the first are used.
 */
public record HostBuffer(MemorySegment segment, DType dtype, long count) {
    public HostBuffer {
        if (segment == null || dtype == null) throw new IllegalArgumentException("a HostBuffer needs a segment and a dtype");
        if (count < 0) throw new IllegalArgumentException("element count must be >= 0, got " + count);
        long need = Math.multiplyExact(count, dtype.byteSize());
        if (segment.byteSize() < need) {
            throw new IllegalArgumentException(count + " " + dtype + " elements need " + need + " bytes but the segment has " + segment.byteSize());
        }
        if (segment.isReadOnly()) throw new IllegalArgumentException("collectives write into their buffers; the segment is read-only");
        if (!segment.isAccessibleBy(OTHER_THREAD)) {
            throw new IllegalArgumentException("the buffer's memory is confined to thread " + Thread.currentThread().getName()
                    + " (Arena.ofConfined()), but collectives run on the group's own thread: allocate it with Arena.ofShared(),"
                    + " Arena.ofAuto() or Arena.global()");
        }
    }

    /** A thread that is not the caller: memory it may not touch is memory the group's thread may not touch. */
    private static final Thread OTHER_THREAD = new Thread(() -> {}, "ddp4j-access-probe");

    public static HostBuffer allocate(Arena arena, DType dtype, long count) {
        return new HostBuffer(arena.allocate(Math.max(1, count * dtype.byteSize()), 8), dtype, count);
    }

    public static HostBuffer of(float... values) {
        return new HostBuffer(MemorySegment.ofArray(values), DType.F32, values.length);
    }

    public static HostBuffer of(double... values) {
        return new HostBuffer(MemorySegment.ofArray(values), DType.F64, values.length);
    }

    public static HostBuffer of(int... values) {
        return new HostBuffer(MemorySegment.ofArray(values), DType.I32, values.length);
    }

    public static HostBuffer of(long... values) {
        return new HostBuffer(MemorySegment.ofArray(values), DType.I64, values.length);
    }

    public long byteSize() {
        return count * dtype.byteSize();
    }

    /** The used bytes only. */
    public MemorySegment bytes() {
        return segment.asSlice(0, byteSize());
    }

    /** Elements {@code [from, from + n)} as their own buffer over the same memory. */
    public HostBuffer slice(long from, long n) {
        if (from < 0 || n < 0 || from + n > count) throw new IndexOutOfBoundsException("slice [" + from + ", " + (from + n) + ") of " + count + " elements");
        return new HostBuffer(segment.asSlice(from * dtype.byteSize(), n * dtype.byteSize()), dtype, n);
    }
}
