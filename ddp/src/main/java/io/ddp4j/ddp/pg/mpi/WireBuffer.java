package io.ddp4j.ddp.pg.mpi;

import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A {@link HostBuffer} as MPI sees it: native memory of the wire dtype. A native buffer of an MPI
 * type is used in place; a heap buffer is copied to native memory, and a 16-bit float buffer is
 * widened to float32 (and rounded back by {@link #writeBack()}).
 */
final class WireBuffer {
    final HostBuffer user;
    final MemorySegment wire;
    final DType wireType;
    private final boolean staged;

    private WireBuffer(HostBuffer user, MemorySegment wire, DType wireType, boolean staged) {
        this.user = user;
        this.wire = wire;
        this.wireType = wireType;
        this.staged = staged;
    }

    static WireBuffer of(HostBuffer b, Arena arena) {
        DType w = MpiTypes.wire(b.dtype());
        if (w == b.dtype() && b.segment().isNative()) return new WireBuffer(b, b.bytes(), w, false);
        MemorySegment s = arena.allocate(Math.max(1, b.count() * w.byteSize()), 8);
        switch (b.dtype()) {
            case F16 -> { for (long i = 0; i < b.count(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, Float.float16ToFloat(b.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2))); }
            case BF16 -> { for (long i = 0; i < b.count(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, Reductions.bf16ToFloat(b.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2))); }
            default -> MemorySegment.copy(b.segment(), 0, s, 0, b.byteSize());
        }
        return new WireBuffer(b, s, w, true);
    }

    long address() {
        return wire.address();
    }

    long count() {
        return user.count();
    }

    /** Elements {@code [from, from + n)} of the wire memory, for chunked calls. */
    long addressOf(long element) {
        return wire.address() + element * wireType.byteSize();
    }

    /** Copies the result back into the user's buffer when it was staged. */
    void writeBack() {
        if (!staged) return;
        MemorySegment dst = user.segment();
        switch (user.dtype()) {
            case F16 -> { for (long i = 0; i < count(); i++) dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Float.floatToFloat16(wire.getAtIndex(ValueLayout.JAVA_FLOAT, i))); }
            case BF16 -> { for (long i = 0; i < count(); i++) dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, Reductions.floatToBf16(wire.getAtIndex(ValueLayout.JAVA_FLOAT, i))); }
            default -> MemorySegment.copy(wire, 0, dst, 0, user.byteSize());
        }
    }
}
