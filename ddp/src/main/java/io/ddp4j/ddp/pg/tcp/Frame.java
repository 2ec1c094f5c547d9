package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One message between two ranks: a fixed 40-byte header and a payload (on receipt, a buffer from
 * the group's {@link PayloadPool}, position 0 and limit its size).
 *
 * <pre>
 * int type | byte opKind | byte reduceOp | byte dtype | byte flags | long seq | long count | int root | int part | int payloadBytes | int 0
 * </pre>
 * The header is always big-endian; the payload holds raw elements in the ranks' shared native
 * order (checked when they connect). {@code part} counts the frames of one op on one link, so a
 * lost or extra frame is caught as a protocol error instead of silently shifting data.
 */
record Frame(int type, OpDescriptor op, int part, int flags, ByteBuffer payload) {
    static final int HEADER_BYTES = 40;

    static final int DATA = 1;        // a piece of a collective
    static final int P2P = 2;         // a piece of a send/recv
    static final int ABORT = 3;       // the sender failed this group; payload: suspects line, message; flags 1 = a collective mismatch
    static final int GOODBYE = 4;     // the sender left cleanly; EOF follows
    static final int PROBE = 5;       // "where are you?", answered by the peer's I/O thread
    static final int PROBE_REPLY = 6; // op = the peer's current or last op; flags 1 = still inside it

    static final int MAX_PAYLOAD = 256 * 1024 * 1024;

    static ByteBuffer header(int type, OpDescriptor op, int part, int flags, int payloadBytes) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
        b.putInt(type)
                .put(op.kind().code)
                .put(op.reduceOp() == null ? 0 : op.reduceOp().code())
                .put(op.dtype() == null ? -1 : (byte) op.dtype().ordinal())
                .put((byte) flags)
                .putLong(op.seq())
                .putLong(op.count())
                .putInt(op.root())
                .putInt(part)
                .putInt(payloadBytes)
                .putInt(0);
        return b.flip();
    }

    /** Decodes a header; the caller then reads {@code payloadBytes(header)} bytes of payload. */
    static Frame decode(ByteBuffer h, ByteBuffer payload) {
        h.rewind();
        int type = h.getInt();
        OpKind kind = OpKind.fromCode(h.get());
        byte rop = h.get();
        byte dt = h.get();
        int flags = h.get();
        long seq = h.getLong();
        long count = h.getLong();
        int root = h.getInt();
        int part = h.getInt();
        OpDescriptor op = new OpDescriptor(kind, seq, rop == 0 ? null : ReduceOp.fromCode(rop), dt < 0 ? null : DType.values()[dt], count, root);
        return new Frame(type, op, part, flags, payload);
    }

    /** The payload as bytes: for control frames, whose payload is text. */
    byte[] payloadBytes() {
        byte[] b = new byte[payload.remaining()];
        payload.duplicate().get(b);
        return b;
    }

    static int payloadBytes(ByteBuffer h) throws IOException {
        int n = h.getInt(32);
        int type = h.getInt(0);
        if (type < DATA || type > PROBE_REPLY) throw new IOException("unknown frame type " + type + " (not a ddp4j peer, or a corrupted stream)");
        if (n < 0 || n > MAX_PAYLOAD) throw new IOException("frame payload of " + n + " bytes is outside 0.." + MAX_PAYLOAD);
        return n;
    }
}
