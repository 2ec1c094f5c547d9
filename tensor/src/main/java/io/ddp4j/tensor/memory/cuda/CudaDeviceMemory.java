package io.ddp4j.tensor.memory.cuda;

import io.ddp4j.bindings.CudaException;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cuda.MemInfo;

/** {@link DeviceMemoryApi} over the CUDA runtime, for one device (made current before each call). */
public final class CudaDeviceMemory implements DeviceMemoryApi {
    private final int device;

    public CudaDeviceMemory(int device) {
        this.device = device;
    }

    private void current() {
        if (Cudart.cudaGetDevice() != device) Cudart.cudaSetDevice(device);
    }

    @Override
    public long tryMalloc(long bytes) {
        current();
        try {
            return Cudart.cudaMalloc(bytes);
        } catch (CudaException e) {
            if (e.isOutOfMemory()) return 0;
            throw e;
        }
    }

    @Override
    public void free(long pointer) {
        current();
        Cudart.cudaFree(pointer);
    }

    @Override
    public long createEvent() {
        current();
        return Cudart.cudaEventCreateWithFlags(Cudart.cudaEventDisableTiming);
    }

    @Override
    public void destroyEvent(long event) {
        Cudart.cudaEventDestroy(event);
    }

    @Override
    public void recordEvent(long event, long stream) {
        Cudart.cudaEventRecord(event, stream);
    }

    @Override
    public void streamWaitEvent(long stream, long event) {
        Cudart.cudaStreamWaitEvent(stream, event, 0);
    }

    @Override
    public void synchronize() {
        current();
        Cudart.cudaDeviceSynchronize();
    }

    @Override
    public long[] memInfo() {
        current();
        MemInfo m = Cudart.cudaMemGetInfo();
        return new long[] {m.free(), m.total()};
    }
}
