package io.ddp4j.ddp.pg.tcp;

/** The operations a frame can belong to, with stable wire codes and the names used in messages. */
enum OpKind {
    ALL_REDUCE(1, "allReduce"), BROADCAST(2, "broadcast"), REDUCE(3, "reduce"), ALL_GATHER(4, "allGather"),
    REDUCE_SCATTER(5, "reduceScatter"), BARRIER(6, "barrier"), SEND(7, "send"), NONE(0, "nothing");

    final byte code;
    final String displayName;

    OpKind(int code, String displayName) {
        this.code = (byte) code;
        this.displayName = displayName;
    }

    static OpKind fromCode(byte code) {
        for (OpKind k : values()) if (k.code == code) return k;
        throw new IllegalArgumentException("unknown op code " + code);
    }
}
