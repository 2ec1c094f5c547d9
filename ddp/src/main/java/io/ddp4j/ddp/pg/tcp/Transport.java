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

    /** Sends and returns once the bytes are with the kernel: {@code payload} may change afterwards. */
    void send(int peer, MemorySegment payload);

    /**
     * Queues a send and returns at once; it goes out while this rank waits for something else.
     * {@code payload} must not change until {@link #flush()} returns.
     */
    void post(int peer, MemorySegment payload);

    /** Returns once every posted send is with the kernel. */
    void flush();

    /** Moves queued sends and pending receives along without waiting; called between pieces of local work. */
    void progress();

    /**
     * The next piece of this op from {@code peer}, which must be exactly {@code bytes} long. The
     * segment stays valid until the next receive from the same peer or the end of the op; its
     * memory is reused after that.
     */
    MemorySegment receive(int peer, long bytes);
}
