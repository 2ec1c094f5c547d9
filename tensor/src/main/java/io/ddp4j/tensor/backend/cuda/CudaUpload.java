package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.tensor.backend.PendingUpload;
import io.ddp4j.tensor.memory.cuda.Block;

/**
 * A host-to-device copy on the copy stream: {@code ready} is recorded after it there. When the
 * consumer takes it, the compute stream records {@code before}, waits on {@code ready}, and
 * records {@code after}; the time between those two timing events is how long the compute stream
 * stood still for the data (about zero when the copy had finished). Events are made per upload:
 * a few microseconds against a copy of a batch. Until the consumer takes it, the destination's
 * block counts as used on the copy stream, so a batch closed or dropped unconsumed is not reused
 * on compute before the copy has landed.
 */
final class CudaUpload implements PendingUpload {
    private final CudaBackend backend;
    private final long ready;
    private final Block block; // the destination, whose last use is the copy until ordered before compute
    private long before, after;
    private long waitNanos = -1;
    private boolean closed;

    CudaUpload(CudaBackend backend, long ready, Block block) {
        this.backend = backend;
        this.ready = ready;
        this.block = block;
    }

    @Override
    public void orderBeforeCompute() {
        synchronized (backend) {
            if (closed) throw new IllegalStateException("orderBeforeCompute: this upload was closed");
            if (before != 0) return;
            long compute = backend.computeStream();
            backend.enterDevice();
            // its timing events would be recorded inside the capture, and never be asked about after it
            backend.requireNotCapturing("taking a prefetched batch");
            before = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDefault);
            after = Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDefault);
            Cudart.cudaEventRecord(before, compute);
            Cudart.cudaStreamWaitEvent(compute, ready, 0);
            Cudart.cudaEventRecord(after, compute);
            backend.copyOrderedBeforeCompute(block);
        }
    }

    @Override
    public long computeWaitNanos() {
        synchronized (backend) {
            if (waitNanos >= 0 || before == 0 || closed) return waitNanos;
            backend.enterDevice();
            if (!Cudart.cudaEventQuery(after)) return -1;
            waitNanos = Math.max(0, Math.round(Cudart.cudaEventElapsedTime(before, after) * 1e6));
            return waitNanos;
        }
    }

    @Override
    public void close() {
        synchronized (backend) {
            if (closed) return;
            closed = true;
            // destroying a recorded event is allowed before it completes: the runtime frees it afterwards
            Cudart.cudaEventDestroy(ready);
            if (before != 0) {
                Cudart.cudaEventDestroy(before);
                Cudart.cudaEventDestroy(after);
            }
        }
    }
}
