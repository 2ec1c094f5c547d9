package io.ddp4j.tensor.backend;

/**
 * A host-to-device copy started on a device's copy stream, not yet ordered before its compute
 * work. A data loader's worker starts it; the training thread, when it takes the batch, calls
 * {@link #orderBeforeCompute()} so the kernels that read the batch run after the copy, with no
 * host wait. Afterwards the copy can say how long the compute stream actually waited for it: zero
 * when the data was there in time.
 */
public interface PendingUpload extends AutoCloseable {
    /** A copy that was complete when it was made (backends without a separate copy stream). */
    PendingUpload DONE = new PendingUpload() {
        @Override
        public void orderBeforeCompute() {}

        @Override
        public long computeWaitNanos() {
            return 0;
        }

        @Override
        public void close() {}
    };

    /** Makes work enqueued on the compute stream from now on wait for the copy; does not block the host. */
    void orderBeforeCompute();

    /**
     * Nanoseconds the compute stream stood still waiting for this copy, once known (the stream
     * has passed the wait); -1 before that, or before {@link #orderBeforeCompute()}. Never blocks.
     */
    long computeWaitNanos();

    /** Releases the events; the copy itself is unaffected. */
    @Override
    void close();
}
