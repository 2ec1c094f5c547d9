package io.ddp4j.tensor.memory;

import io.ddp4j.tensor.Device;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host memory for CPU tensors: one zero-filled, 64-byte aligned off-heap segment (a cache line,
 * and what vector loads like) in its own shared arena, so the fork-join workers of the CPU backend
 * can read it, and so closing it makes any later access throw instead of touching freed memory.
 */
public final class CpuStorage implements Storage {
    public static final long ALIGNMENT = 64;

    private final Arena arena;
    private final MemorySegment segment;
    private final RefCount refs;

    private CpuStorage(long byteSize) {
        this.arena = Arena.ofShared();
        // a zero-length segment still gets an address, so empty tensors need no special case
        this.segment = arena.allocate(Math.max(byteSize, 1), ALIGNMENT).asSlice(0, byteSize);
        this.refs = new RefCount(arena::close);
    }

    private CpuStorage(MemorySegment borrowed) {
        this.arena = null;
        this.segment = borrowed;
        this.refs = new RefCount(() -> {});
    }

    /**
     * A storage over host memory someone else owns (a pinned staging buffer, a caller's segment);
     * releasing it frees nothing.
     */
    public static CpuStorage borrow(MemorySegment segment) {
        return new CpuStorage(segment);
    }

    /** Allocates {@code byteSize} zeroed bytes, with one reference held by the caller. */
    public static CpuStorage allocate(long byteSize) {
        if (byteSize < 0) throw new IllegalArgumentException("cannot allocate " + byteSize + " bytes");
        return new CpuStorage(byteSize);
    }

    /** The memory itself; throws IllegalStateException once freed. */
    public MemorySegment segment() {
        if (refs.isZero()) throw new IllegalStateException("cpu storage of " + byteSize() + " bytes was already freed");
        return segment;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public long byteSize() {
        return segment.byteSize();
    }

    @Override
    public void retain() {
        refs.retain("cpu storage of " + byteSize() + " bytes");
    }

    @Override
    public void release() {
        refs.release();
    }

    @Override
    public boolean isFreed() {
        return refs.isZero();
    }
}
