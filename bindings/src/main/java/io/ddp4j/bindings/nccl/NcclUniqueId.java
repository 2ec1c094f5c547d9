package io.ddp4j.bindings.nccl;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@code ncclUniqueId}: the 128 opaque bytes ({@code NCCL_UNIQUE_ID_BYTES}) rank 0 makes with
 * {@code ncclGetUniqueId} and every rank passes, by value, to {@code ncclCommInitRank}. Held as a
 * byte array so the distributed layer can ship it through a store as it is; the array is copied
 * in and out, so an id cannot be changed once made.
 */
public final class NcclUniqueId {
    /** {@code NCCL_UNIQUE_ID_BYTES} in nccl.h. */
    public static final int BYTES = 128;

    /** {@code typedef struct { char internal[NCCL_UNIQUE_ID_BYTES]; } ncclUniqueId;} (alignment 1). */
    public static final StructLayout LAYOUT =
            MemoryLayout.structLayout(MemoryLayout.sequenceLayout(BYTES, JAVA_BYTE).withName("internal")).withName("ncclUniqueId");

    private final byte[] bytes;

    private NcclUniqueId(byte[] bytes) {
        this.bytes = bytes;
    }

    /** An id from the bytes another rank sent; exactly {@value #BYTES} of them. */
    public static NcclUniqueId fromBytes(byte[] bytes) {
        if (bytes == null) throw new IllegalArgumentException("ncclUniqueId bytes are null");
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("an ncclUniqueId has " + BYTES + " bytes, got " + bytes.length);
        }
        return new NcclUniqueId(bytes.clone());
    }

    /** Reads an id from native memory (the first {@value #BYTES} bytes of {@code segment}). */
    public static NcclUniqueId read(MemorySegment segment) {
        return new NcclUniqueId(segment.asSlice(0, BYTES).toArray(JAVA_BYTE));
    }

    /** A copy of the bytes, to send to the other ranks. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** The id as a struct in native memory, for passing by value. */
    public MemorySegment toSegment(SegmentAllocator allocator) {
        MemorySegment s = allocator.allocate(LAYOUT);
        MemorySegment.copy(bytes, 0, s, JAVA_BYTE, 0, BYTES);
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NcclUniqueId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Only a prefix: enough to tell ids apart in a log, not the whole bootstrap address. */
    @Override
    public String toString() {
        return "ncclUniqueId[" + HexFormat.of().formatHex(bytes, 0, 8) + "...]";
    }
}
