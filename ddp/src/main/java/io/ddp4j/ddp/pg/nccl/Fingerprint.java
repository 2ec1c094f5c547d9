package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * What a rank believes its next collective is, in {@value #BYTES} fixed bytes that every rank
 * all-gathers (through NCCL, on the communication stream, just before the collective itself)
 * and compares: sequence number, op, reduce op, dtype, element count and root. The bytes are
 * the same on every rank that issued the same call, so the gather itself always matches in size
 * and can never be the op that hangs because of a mismatch.
 *
 * <p>Layout, native byte order (all ranks of an NCCL job share one architecture): sequence (8),
 * kind (1), dtype (1, ordinal + 1, 0 for none), reduce op (1, {@link ReduceOp#code()}, 0 for
 * none), zero (1), root (4, -1 for none), count (8), a zero pad (8).
 */
record Fingerprint(long sequence, Kind kind, DType dtype, ReduceOp op, int root, long count) {
    static final int BYTES = 32;

    enum Kind {
        ALL_REDUCE("allReduce"), BROADCAST("broadcast"), REDUCE("reduce"), ALL_GATHER("allGather"),
        REDUCE_SCATTER("reduceScatter"), BARRIER("barrier");

        final String opName;

        Kind(String opName) {
            this.opName = opName;
        }
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    void write(MemorySegment s) {
        s.asSlice(0, BYTES).fill((byte) 0);
        s.set(LONG, 0, sequence);
        s.set(ValueLayout.JAVA_BYTE, 8, (byte) (kind.ordinal() + 1));
        s.set(ValueLayout.JAVA_BYTE, 9, (byte) (dtype == null ? 0 : dtype.ordinal() + 1));
        s.set(ValueLayout.JAVA_BYTE, 10, op == null ? 0 : op.code());
        s.set(INT, 12, root);
        s.set(LONG, 16, count);
    }

    /** The fingerprint in {@code s}, or null when the bytes are not one (a rank with other ddp4j code, or garbage). */
    static Fingerprint read(MemorySegment s) {
        int k = s.get(ValueLayout.JAVA_BYTE, 8), d = s.get(ValueLayout.JAVA_BYTE, 9), o = s.get(ValueLayout.JAVA_BYTE, 10);
        if (k < 1 || k > Kind.values().length || d < 0 || d > DType.values().length) return null;
        ReduceOp op;
        try {
            op = o == 0 ? null : ReduceOp.fromCode((byte) o);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new Fingerprint(s.get(LONG, 0), Kind.values()[k - 1], d == 0 ? null : DType.values()[d - 1], op,
                s.get(INT, 12), s.get(LONG, 16));
    }

    /** The {@value #BYTES} bytes, on the heap (to compare gathered ones with). */
    MemorySegment bytes() {
        MemorySegment mine = MemorySegment.ofArray(new byte[BYTES]);
        write(mine);
        return mine;
    }

    /** True when {@code s} holds exactly these bytes. */
    boolean matches(MemorySegment s) {
        return s.asSlice(0, BYTES).mismatch(bytes()) < 0;
    }

    /** "allReduce #7 (sum, float32, 1000 elements)" */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(kind.opName).append(" #").append(sequence).append(" (");
        String sep = "";
        if (op != null) {
            b.append(op.name().toLowerCase(Locale.ROOT));
            sep = ", ";
        }
        if (root >= 0) {
            b.append(sep).append("root ").append(root);
            sep = ", ";
        }
        if (dtype != null) {
            b.append(sep).append(dtype).append(", ").append(count).append(kind == Kind.ALL_GATHER || kind == Kind.REDUCE_SCATTER ? " elements each" : " elements");
        }
        return b.append(')').toString();
    }

    static String describe(MemorySegment s) {
        Fingerprint f = read(s);
        return f != null ? f.toString() : "something unrecognisable (not a ddp4j nccl op description)";
    }
}
