package io.ddp4j.ddp.pg;

import java.lang.foreign.MemorySegment;

/**
 * Device memory that host-side collectives are staged through, for a group that takes device
 * buffers only (nccl): a grow-only scratch area and the two copies. See {@link HostStagedGroup}.
 */
public interface StagingMemory extends AutoCloseable {
    /** The CUDA device the scratch lives on. */
    int device();

    /**
     * The address of at least {@code bytes} of scratch, aligned to 256 bytes; valid until the next
     * call (which may move it) or {@link #close()}.
     */
    long scratch(long bytes);

    /** Copies {@code src} (native memory) to {@code dst} in the scratch; returns when done. */
    void toDevice(long dst, MemorySegment src);

    /** Copies {@code dst.byteSize()} bytes from {@code src} in the scratch into {@code dst} (native memory); returns when done. */
    void toHost(MemorySegment dst, long src);

    /** Frees the scratch. Idempotent. */
    @Override
    void close();
}
