package io.ddp4j.tensor.memory;

import io.ddp4j.tensor.Device;

import java.lang.foreign.MemorySegment;

/**
 * Host memory for CPU tensors: one zero-filled, 64-byte aligned off-heap segment (a cache line,
 * and what vector loads like) in a shared arena, so the fork-join workers of the CPU backend can
 * read it. Freed memory goes back to {@link HostBlockPool} (closing a shared arena is expensive);
 * it stays mapped either way, so nothing can touch unmapped memory, and {@link #segment()} on a
 * freed storage throws.
 */
public final class CpuStorage implements Storage {
    public static final long ALIGNMENT = 64;

    private final MemorySegment segment;
    private final RefCount refs;

    private CpuStorage(long byteSize) {
        // a zero-length segment still gets an address, so empty tensors need no special case
        HostBlockPool.Block block = HostBlockPool.take(Math.max(byteSize, 1));
        this.segment = block.segment().asSlice(0, byteSize);
        this.refs = new RefCount(() -> HostBlockPool.give(block));
    }

    private CpuStorage(MemorySegment borrowed) {
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
