package io.ddp4j.benchmarks;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;

/**
 * The caching allocator's cudaMalloc/cudaFree counts around a measured span, printed by the GPU
 * benchmarks in their tear-downs: a steady loop shows "+0 cudaMalloc". JMH calls
 * {@link #start()} before and {@link #print(String)} after each iteration, so the warm-up
 * iterations show the cache filling and the measured ones show the steady state.
 */
public final class AllocatorReport {
    private final CudaBackend backend;
    private AllocatorStats before;

    public AllocatorReport(Device device) {
        this.backend = (CudaBackend) Backends.forDevice(device);
    }

    public void start() {
        before = backend.allocatorStats();
    }

    /** Prints one line and returns the number of cudaMalloc calls since {@link #start()}. */
    public long print(String what) {
        AllocatorStats now = backend.allocatorStats();
        long mallocs = now.cudaMallocCalls() - before.cudaMallocCalls();
        System.out.printf(java.util.Locale.ROOT,
                "%n[allocator] %s: cudaMalloc +%d (total %d), cudaFree +%d, cache hits +%d, allocated %.1f MiB, reserved %.1f MiB, peak %.1f MiB%n",
                what, mallocs, now.cudaMallocCalls(), now.cudaFreeCalls() - before.cudaFreeCalls(), now.cacheHits() - before.cacheHits(),
                now.allocatedBytes() / 1048576.0, now.reservedBytes() / 1048576.0, now.peakAllocatedBytes() / 1048576.0);
        return mallocs;
    }
}
