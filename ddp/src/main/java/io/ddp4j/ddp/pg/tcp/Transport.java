package io.ddp4j.ddp.pg.tcp;

import java.lang.foreign.MemorySegment;

/**
 * What the algorithms need from the group while one op runs: send bytes to a peer, receive the
 * next piece from a peer. The op's fingerprint, frame numbering, timeouts and failure handling
 * live behind it, so the algorithms read like the textbook versions.
 */
interface Transport {
    int rank();

    int size();

    void send(int peer, MemorySegment payload);

    /** The next piece of this op from {@code peer}, which must be exactly {@code bytes} long. */
    MemorySegment receive(int peer, long bytes);
}
