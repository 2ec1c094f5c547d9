package io.ddp4j.ddp.pg;

import java.util.List;

/**
 * A set of ranks that run collectives together. Every op returns at once with a {@link Work};
 * ops run in issue order on the group's own thread, so a rank may issue several and await later.
 * All ranks must issue the same collectives in the same order with the same sizes and dtypes;
 * each message carries a sequence number and a description of its op, and a rank that sees a
 * different one fails with both ranks' versions instead of hanging.
 *
 * <p>Ranks in this interface (roots, peers) are ranks within this group, 0..size()-1;
 * {@link #globalRanks()} maps them to ranks of the job.
 */
public interface ProcessGroup extends AutoCloseable {
    int rank();

    int size();

    /** Job-wide rank of each group rank. */
    List<Integer> globalRanks();

    /** "tcp", "nccl", ... */
    String backend();

    /** Combines {@code buffer} across ranks; every rank ends with the result. */
    Work allReduce(HostBuffer buffer, ReduceOp op);

    /** Copies {@code root}'s buffer to every rank. */
    Work broadcast(HostBuffer buffer, int root);

    /** Combines into {@code root}'s buffer; other ranks' buffers are left unchanged. */
    Work reduce(HostBuffer buffer, int root, ReduceOp op);

    /** {@code output} holds size() * input.count() elements: rank i's input lands at i * input.count(). */
    Work allGather(HostBuffer output, HostBuffer input);

    /** {@code input} holds size() * output.count() elements; rank i gets the reduction of every rank's slice i. */
    Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op);

    /** Completes once every rank has reached it. */
    Work barrier();

    /** Sends to one peer; matched in order with that peer's {@link #recv} from this rank, tags must agree. */
    Work send(HostBuffer buffer, int peer, int tag);

    Work recv(HostBuffer buffer, int peer, int tag);

    // ---- CUDA device buffers -----------------------------------------------------------------
    //
    // The same ops on device memory. GPU backends (nccl) implement them; the host backends (tcp,
    // mpi) keep these defaults, which refuse. The order they run in relative to the caller's GPU
    // work is the backend's to define (nccl: after the work already enqueued on the caller's
    // current CUDA stream). Same shapes and rules as the HostBuffer versions above.

    default Work allReduce(DeviceBuffer buffer, ReduceOp op) {
        throw hostOnly("allReduce");
    }

    default Work broadcast(DeviceBuffer buffer, int root) {
        throw hostOnly("broadcast");
    }

    default Work reduce(DeviceBuffer buffer, int root, ReduceOp op) {
        throw hostOnly("reduce");
    }

    default Work allGather(DeviceBuffer output, DeviceBuffer input) {
        throw hostOnly("allGather");
    }

    default Work reduceScatter(DeviceBuffer output, DeviceBuffer input, ReduceOp op) {
        throw hostOnly("reduceScatter");
    }

    default Work send(DeviceBuffer buffer, int peer, int tag) {
        throw hostOnly("send");
    }

    default Work recv(DeviceBuffer buffer, int peer, int tag) {
        throw hostOnly("recv");
    }

    /**
     * Whether the {@link DeviceBuffer} ops above run here rather than refuse: nccl, and the local
     * group for ranks that share one GPU.
     */
    default boolean takesDeviceBuffers() {
        return false;
    }

    /**
     * Present when this group takes device buffers only (nccl): device memory its host-buffer
     * callers can stage through, owned by the caller ({@link HostStagedGroup} does it for them).
     * Empty for groups that take host buffers themselves.
     */
    default java.util.Optional<StagingMemory> stagingForHostBuffers() {
        return java.util.Optional.empty();
    }

    private UnsupportedOperationException hostOnly(String op) {
        return new UnsupportedOperationException("backend " + backend() + " works on host buffers: " + op
                + " of a DeviceBuffer needs the nccl backend (or copy the data to a HostBuffer first)");
    }

    /** Leaves the group: peers see a clean departure, not a crash. Idempotent. */
    @Override
    void close();
}
