package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.ddp.pg.StagingMemory;

import java.lang.foreign.MemorySegment;

/**
 * Device scratch on one GPU for host collectives over nccl ({@link io.ddp4j.ddp.pg.HostStagedGroup}).
 * Grows by powers of two and is never shrunk: control collectives are small and repeat every
 * iteration. Every call selects the device for itself and puts the caller's current device back.
 */
final class CudaStagingMemory implements StagingMemory {
    private final int device;
    private long pointer;
    private long bytes;

    CudaStagingMemory(int device) {
        this.device = device;
    }

    @Override
    public int device() {
        return device;
    }

    private interface Body {
        void run();
    }

    private synchronized void onDevice(Body body) {
        int previous = Cudart.cudaGetDevice();
        if (previous != device) Cudart.cudaSetDevice(device);
        try {
            body.run();
        } finally {
            if (previous != device) Cudart.cudaSetDevice(previous);
        }
    }

    @Override
    public synchronized long scratch(long n) {
        if (n > bytes) {
            long size = Math.max(4096, Long.highestOneBit(n - 1) << 1);
            onDevice(() -> {
                if (pointer != 0) Cudart.cudaFree(pointer);
                pointer = 0;
                bytes = 0;
                pointer = Cudart.cudaMalloc(size);
                bytes = size;
            });
        }
        return pointer;
    }

    @Override
    public void toDevice(long dst, MemorySegment src) {
        onDevice(() -> {
            Cudart.cudaMemcpy(dst, src.address(), src.byteSize(), Cudart.cudaMemcpyHostToDevice);
            // from pageable memory cudaMemcpy may return before the DMA lands; the collective that
            // reads it runs on another stream, so wait for the legacy default stream here
            Cudart.cudaStreamSynchronize(0L);
        });
    }

    @Override
    public void toHost(MemorySegment dst, long src) {
        onDevice(() -> Cudart.cudaMemcpy(dst.address(), src, dst.byteSize(), Cudart.cudaMemcpyDeviceToHost));
    }

    @Override
    public synchronized void close() {
        if (pointer == 0) return;
        long p = pointer;
        pointer = 0;
        bytes = 0;
        onDevice(() -> Cudart.cudaFree(p));
    }
}
