package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.DType;

/**
 * What one rank believes the current op is: its fingerprint. Every frame carries the sender's,
 * and the receiver compares it with its own, so ranks that issued different collectives (or the
 * same one with different sizes) fail at once with both versions in the message.
 *
 * @param seq   collective sequence number in the group, or the per-peer number of a send
 * @param root  root rank of broadcast/reduce, the tag of a send, else 0
 */
record OpDescriptor(OpKind kind, long seq, ReduceOp reduceOp, DType dtype, long count, int root) {

    static final OpDescriptor IDLE = new OpDescriptor(OpKind.NONE, 0, null, null, 0, 0);

    String describe() {
        if (kind == OpKind.NONE) return seq == 0 ? "no collective yet" : "idle after #" + seq;
        StringBuilder b = new StringBuilder(kind.displayName).append(" #").append(seq).append(" (");
        if (kind == OpKind.BROADCAST || kind == OpKind.REDUCE) b.append("root ").append(root).append(", ");
        if (kind == OpKind.SEND) b.append("tag ").append(root).append(", ");
        if (reduceOp != null) b.append(reduceOp.name().toLowerCase(java.util.Locale.ROOT)).append(", ");
        if (kind == OpKind.BARRIER) return b.append("no data)").toString();
        return b.append(dtype).append(", ").append(count).append(count == 1 ? " element)" : " elements)").toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
