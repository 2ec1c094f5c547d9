package io.ddp4j.ddp;

/** A bounded wait ran out. The message names what was waited for (keys, rank, op, address). */
public class DistributedTimeoutException extends DistributedException {
    public DistributedTimeoutException(String message) {
        super(message);
    }

    public DistributedTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
