package io.ddp4j.tensor.autograd;

/** Returned by hook registration; closing it removes the hook. */
@FunctionalInterface
public interface HookHandle extends AutoCloseable {
    void remove();

    @Override
    default void close() {
        remove();
    }
}
