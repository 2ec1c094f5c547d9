package io.ddp4j.bindings.cublas;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One native cuBLAS or cuBLASLt object and the duty to destroy it exactly once. Reading the
 * handle after {@link #close()} throws {@link IllegalStateException} instead of handing a
 * freed pointer to the library.
 */
abstract class OwnedHandle implements AutoCloseable {
    private final AtomicLong handle;
    private final String what;

    OwnedHandle(long handle, String what) {
        if (handle == 0) throw new IllegalArgumentException(what + ": the library returned a null handle");
        this.handle = new AtomicLong(handle);
        this.what = what;
    }

    /** The native handle; throws when closed. */
    public final long handle() {
        long h = handle.get();
        if (h == 0) throw new IllegalStateException(what + " is closed");
        return h;
    }

    public final boolean isClosed() {
        return handle.get() == 0;
    }

    /** Destroys the native object the first time; later calls do nothing. */
    @Override
    public final void close() {
        long h = handle.getAndSet(0);
        if (h != 0) destroy(h);
    }

    /** Frees {@code handle} in the library. */
    abstract void destroy(long handle);

    @Override
    public String toString() {
        long h = handle.get();
        return what + (h == 0 ? " (closed)" : " 0x" + Long.toHexString(h));
    }
}
