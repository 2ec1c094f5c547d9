package io.ddp4j.tensor.data;

/** A failure while building a batch (in a worker or on the calling thread), with the batch it was for. */
public final class DataLoaderException extends RuntimeException {
    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }
}
