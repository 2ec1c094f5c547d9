package io.ddp4j.tensor;

import io.ddp4j.tensor.memory.LeakDetection;
import io.ddp4j.tensor.memory.Storage;

import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * The part of a tensor the Cleaner may see: its storage reference and whether it was closed. It
 * must not refer to the Tensor itself, or the tensor would never become unreachable. Runs once,
 * either from {@link #close} or from the Cleaner after the tensor was collected unclosed (a leak).
 */
final class TensorLifetime implements Runnable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final Storage storage;
    private final DType dtype;
    private final int[] shape;
    private final Throwable allocationSite;
    private volatile boolean closed;
    private Cleaner.Cleanable cleanable;

    TensorLifetime(Storage storage, DType dtype, int[] shape) {
        this.storage = storage;
        this.dtype = dtype;
        this.shape = shape;
        this.allocationSite = LeakDetection.captureSite();
    }

    void watch(Tensor owner) {
        cleanable = CLEANER.register(owner, this);
    }

    boolean isClosed() {
        return closed;
    }

    /** Idempotent: the Cleanable runs its action at most once. */
    void close() {
        closed = true;
        cleanable.clean();
    }

    @Override
    public void run() {
        if (!closed) {
            closed = true;
            LeakDetection.report("tensor " + dtype + Arrays.toString(shape) + " on " + storage.device(), allocationSite);
        }
        storage.release();
    }
}
