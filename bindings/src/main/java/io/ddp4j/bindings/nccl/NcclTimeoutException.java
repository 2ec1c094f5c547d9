package io.ddp4j.bindings.nccl;

import java.time.Duration;

/**
 * A non-blocking NCCL communicator stayed {@code ncclInProgress} longer than the caller allowed,
 * usually because another rank never joined. The communicator has been aborted by then.
 */
public final class NcclTimeoutException extends RuntimeException {
    private final int rank;
    private final int nranks;
    private final Duration timeout;

    public NcclTimeoutException(String operation, int rank, int nranks, Duration timeout) {
        super("NCCL " + operation + " of rank " + rank + " of " + nranks + " did not finish within " + timeout
                + " (ncclCommGetAsyncError still said ncclInProgress); the communicator was aborted."
                + " Check that every rank reached the same call with the same unique id, or allow a longer timeout.");
        this.rank = rank;
        this.nranks = nranks;
        this.timeout = timeout;
    }

    public int rank() {
        return rank;
    }

    public int nranks() {
        return nranks;
    }

    public Duration timeout() {
        return timeout;
    }
}
