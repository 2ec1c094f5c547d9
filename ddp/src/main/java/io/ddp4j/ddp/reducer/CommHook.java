package io.ddp4j.ddp.reducer;

import java.util.concurrent.CompletableFuture;

/**
 * How a full bucket is communicated, PyTorch's {@code register_comm_hook}. The reducer calls the
 * hook on the backward thread the moment the bucket may be launched (in bucket order on every
 * rank), and waits for the future at the end of backward. The hook must leave the bucket's
 * buffer holding the gradient averaged over the group (the reducer does not divide again) and
 * complete the future then; it must issue the same collectives on every rank. Keep work on the
 * calling thread short (it holds up backward): issue collectives and finish with
 * {@link CommContext#after}.
 */
@FunctionalInterface
public interface CommHook {
    CompletableFuture<Void> reduce(CommContext context, GradBucket bucket);

    /** A name for logs and timelines. */
    default String name() {
        return getClass().getSimpleName();
    }
}
