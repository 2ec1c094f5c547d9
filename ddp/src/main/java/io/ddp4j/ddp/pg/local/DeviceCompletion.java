package io.ddp4j.ddp.pg.local;

import io.ddp4j.bindings.cuda.Cudart;

/**
 * When a local collective over device memory is done on the GPU: an event recorded on the
 * device's compute stream right after its kernels, shared by every rank's work. Each rank's worker
 * waits for it on the host and then lets go; the last to let go destroys it. A stream that asks to
 * wait for it afterwards needs nothing: the work is done by then.
 */
final class DeviceCompletion {
    private final int device;
    private final long stream;
    private final long event;
    private int holders;
    private boolean destroyed;

    private DeviceCompletion(int device, long stream, long event, int holders) {
        this.device = device;
        this.stream = stream;
        this.event = event;
        this.holders = holders;
    }

    /** Records the event on {@code stream} of CUDA device {@code device}, after the work enqueued there so far. */
    static DeviceCompletion record(int device, long stream, int holders) {
        Cudart.cudaSetDevice(device);
        long event = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
        try {
            Cudart.cudaEventRecord(event, stream);
        } catch (RuntimeException e) {
            Cudart.cudaEventDestroy(event);
            throw e;
        }
        return new DeviceCompletion(device, stream, event, holders);
    }

    /** Blocks the calling thread, a holder that has not let go yet, until the GPU has run the collective. */
    void synchronize() {
        Cudart.cudaEventSynchronize(event);
    }

    /** Makes {@code other} wait for the collective without blocking the host (nothing to do on the stream it ran on). */
    synchronized void orderBefore(long other) {
        if (destroyed || other == stream) return;
        Cudart.cudaSetDevice(device);
        Cudart.cudaStreamWaitEvent(other, event, 0);
    }

    /** One holder lets go; the last destroys the event. */
    synchronized void release() {
        if (destroyed || --holders > 0) return;
        destroyed = true;
        Cudart.cudaEventDestroy(event);
    }
}
