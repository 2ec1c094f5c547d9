package io.ddp4j.ddp.pg.nccl;

/**
 * The few CUDA and NCCL calls {@link NcclProcessGroup} makes, for one communicator on one device,
 * behind an interface so the group's logic (ordering, fingerprints, the watchdog's state machine)
 * runs in tests with a fake on machines without a GPU. {@link CudaNcclDriver} is the real one.
 * Pointers, streams and events are {@code long}s as in the bindings. NCCL calls return
 * {@code ncclSuccess} or {@code ncclInProgress} and throw for anything else.
 */
interface NcclDriver {
    int rank();

    int size();

    int device();

    /** Makes {@link #device()} current on the calling thread (cudaSetDevice when it is not). */
    void makeCurrent();

    // ---- CUDA -------------------------------------------------------------------------------

    /** The communication stream: non-blocking, highest priority; made once. */
    long createCommStream();

    void destroyStream(long stream);

    /** An event without timing (cudaEventDisableTiming). */
    long createEvent();

    void destroyEvent(long event);

    void recordEvent(long event, long stream);

    /** True when the work before the event's last record is done (cudaEventQuery). */
    boolean eventDone(long event);

    /** cudaStreamWaitEvent: work enqueued later on {@code stream} waits for {@code event}. */
    void streamWaitEvent(long stream, long event);

    long deviceAlloc(long bytes);

    void deviceFree(long pointer);

    /** Page-locked host memory, so the async copies below really are asynchronous. */
    long hostAlloc(long bytes);

    void hostFree(long pointer);

    void copyHostToDeviceAsync(long dst, long src, long bytes, long stream);

    void copyDeviceToHostAsync(long dst, long src, long bytes, long stream);

    // ---- NCCL -------------------------------------------------------------------------------

    /** ncclCommGetAsyncError: ncclSuccess, ncclInProgress or the error that broke the communicator. */
    int asyncError();

    /** Text for an NCCL result code (NCCL's own description and last warning where it can). */
    String describe(int ncclResult);

    /** ncclCommAbort; idempotent. */
    void abort();

    /** Frees a healthy communicator (finalize, bounded by the timeout, then destroy); aborts otherwise. Idempotent. */
    void destroy(java.time.Duration timeout);

    int allReduce(long send, long recv, long count, int type, int op, long stream);

    int broadcast(long send, long recv, long count, int type, int root, long stream);

    int reduce(long send, long recv, long count, int type, int op, int root, long stream);

    int allGather(long send, long recv, long sendCount, int type, long stream);

    int reduceScatter(long send, long recv, long recvCount, int type, int op, long stream);

    int send(long buffer, long count, int type, int peer, long stream);

    int recv(long buffer, long count, int type, int peer, long stream);
}
