package io.ddp4j.ddp;

/** Base of every failure in ddp4j's distributed layer: store, rendezvous, process groups, launcher. */
public class DistributedException extends RuntimeException {
    public DistributedException(String message) {
        super(message);
    }

    public DistributedException(String message, Throwable cause) {
        super(message, cause);
    }
}
