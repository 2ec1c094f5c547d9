package io.ddp4j.bindings.cudnn;

/**
 * A {@code cudnnHandle_t}: cuDNN's per-device context, bound to the device current when it was
 * made. One thread at a time: the stream it works on is a property of the handle.
 */
public final class CudnnHandle extends CudnnResource {

    private CudnnHandle(long address) {
        super(address);
    }

    /** A handle on the current device (cudnnCreate), working on the legacy default stream until {@link #setStream}. */
    public static CudnnHandle create() {
        return new CudnnHandle(Cudnn.cudnnCreate());
    }

    /** The stream later calls through this handle enqueue on. */
    public void setStream(long stream) {
        Cudnn.cudnnSetStream(address(), stream);
    }

    public long stream() {
        return Cudnn.cudnnGetStream(address());
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroy(address);
    }
}
