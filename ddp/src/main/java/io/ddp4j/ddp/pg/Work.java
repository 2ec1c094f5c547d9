package io.ddp4j.ddp.pg;

import java.time.Duration;
import java.util.Optional;

/**
 * A collective or point-to-point op that was issued and runs on its group's worker thread.
 * Named {@code await} rather than PyTorch's {@code wait}: {@code Object.wait()} is final in Java
 * and calling it by mistake would throw IllegalMonitorStateException instead of waiting.
 */
public interface Work {
    /**
     * Blocks until done and rethrows the op's failure. The op bounds its own waits by the group's
     * timeout and then fails with a message naming the missing rank; this call waits a little
     * longer than that (twice the timeout plus five seconds) so that message is what you see.
     * A backend may run an op that has not started yet on the calling thread (tcp does, for
     * latency), since this thread would only wait for it otherwise.
     */
    void await();

    /** Blocks until done, up to {@code timeout}; a timeout error names the op and its sequence number. */
    void await(Duration timeout);

    boolean isCompleted();

    /** True when completed without error. */
    boolean isSuccess();

    /** The failure, once completed with one. */
    Optional<Throwable> exception();

    /**
     * Makes CUDA stream {@code stream} wait for this work without blocking the host, so GPU work
     * enqueued there afterwards sees its result (what DDP does at the end of backward). GPU
     * backends enqueue a wait on the work's completion event; this default, for host backends,
     * whose result is in host memory once done, simply {@link #await()}s.
     */
    default void awaitOnStream(long stream) {
        await();
    }

    /** "allReduce #3 (sum, float32, 1000 elements)" */
    String description();
}
