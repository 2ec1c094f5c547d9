package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.ddp.pg.PeerFailureException;
import java.util.List;

/**
 * An op of an nccl process group failed because the group's communicator was aborted: by the
 * watchdog (the op, or an earlier one, ran past the collective timeout; NCCL reported an
 * asynchronous error; the ranks' op descriptions disagreed) or because an op could not be
 * enqueued. The message names the op, its sequence number, the rank and the reason; the group
 * refuses new work afterwards.
 */
public final class NcclAbortedException extends PeerFailureException {
    /** Why the communicator was aborted. */
    public enum Reason {
        /** An op did not complete within the collective timeout. */
        TIMEOUT,
        /** ncclCommGetAsyncError reported an error (a peer died, a network failure, ...). */
        NCCL_ERROR,
        /** Ranks issued different collectives at the same sequence number. */
        MISMATCH,
        /** A CUDA or NCCL call failed while enqueuing or checking an op. */
        ENQUEUE_FAILED
    }

    private final String op;
    private final long sequence;
    private final int rank;
    private final Reason reason;

    NcclAbortedException(String message, String op, long sequence, int rank, Reason reason, List<Integer> suspects, Throwable cause) {
        super(message, suspects, cause);
        this.op = op;
        this.sequence = sequence;
        this.rank = rank;
        this.reason = reason;
    }

    /** The failed op's name, e.g. "allReduce". */
    public String op() {
        return op;
    }

    /** Its sequence number in the group (collectives and point-to-point ops are numbered separately). */
    public long sequence() {
        return sequence;
    }

    /** The rank (in the group) that reports it. */
    public int rank() {
        return rank;
    }

    public Reason reason() {
        return reason;
    }
}
