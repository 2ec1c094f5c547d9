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

    /** Leaves the group: peers see a clean departure, not a crash. Idempotent. */
    @Override
    void close();
}
