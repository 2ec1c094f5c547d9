package io.ddp4j.bindings.cudnn;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A cuDNN object this process owns (a handle or a descriptor): its address while open, destroyed
 * exactly once by the first {@link #close()}. Using it after that throws
 * {@link IllegalStateException} instead of handing cuDNN a dangling pointer.
 */
public abstract sealed class CudnnResource implements AutoCloseable
        permits CudnnHandle, TensorDescriptor, FilterDescriptor, ConvolutionDescriptor, PoolingDescriptor, ActivationDescriptor {

    private final AtomicLong address;

    CudnnResource(long address) {
        if (address == 0) throw new IllegalArgumentException(kind() + ": cuDNN returned a null object");
        this.address = new AtomicLong(address);
    }

    /** The C object ({@code cudnnHandle_t}, {@code cudnnTensorDescriptor_t}, ...). */
    public final long address() {
        long a = address.get();
        if (a == 0) throw new IllegalStateException(kind() + " is closed");
        return a;
    }

    public final boolean isClosed() {
        return address.get() == 0;
    }

    /** Destroys the C object; later calls do nothing. */
    @Override
    public final void close() {
        long a = address.getAndSet(0);
        if (a != 0) destroy(a);
    }

    abstract void destroy(long address);

    String kind() {
        return getClass().getSimpleName();
    }

    /**
     * Runs {@code configure} on a freshly created object and destroys the object if it fails, so
     * a factory never leaks a half-made descriptor.
     */
    static long configured(long address, java.util.function.LongConsumer configure, java.util.function.LongConsumer destroy) {
        try {
            configure.accept(address);
            return address;
        } catch (RuntimeException | Error e) {
            try {
                destroy.accept(address);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
