package io.ddp4j.ddp.reducer;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.TensorData;

/**
 * What every bucket buffer shares: one flat tensor, outside every scope, whose views are the
 * parameters' gradients. Subclasses say how a collective reaches that memory.
 */
abstract sealed class FlatBucketBuffer implements BucketBuffer permits CpuBucketBuffer, CudaBucketBuffer {
    protected final Tensor flat;
    private boolean closed;

    FlatBucketBuffer(DType dtype, Device device, long numel) {
        if (numel > Integer.MAX_VALUE) throw new IllegalArgumentException("a bucket of " + numel + " elements is too large; lower the bucket cap");
        this.flat = Tensor.zeros(dtype, device, (int) numel).keep();
    }

    @Override
    public DType dtype() {
        return flat.dtype();
    }

    @Override
    public Device device() {
        return flat.device();
    }

    @Override
    public long numel() {
        return flat.numel();
    }

    @Override
    public Tensor flat() {
        return flat;
    }

    @Override
    public Tensor view(long offset, int[] shape) {
        return flat.asStrided(shape, TensorData.contiguousStrides(shape), offset).keep();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        flat.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(" + dtype() + ", " + numel() + " elements on " + device() + ")";
    }
}
