package io.ddp4j.tensor.memory.cuda;

/**
 * The caching allocator's counters, like {@code torch.cuda.memory_stats()}: bytes handed out
 * (rounded sizes), bytes reserved from the driver, the peak of handed-out bytes, and how many
 * times the driver was asked to allocate and to free. A steady training loop shows
 * {@code cudaMallocCalls} not growing.
 */
public record AllocatorStats(long allocatedBytes, long reservedBytes, long peakAllocatedBytes,
                             long cudaMallocCalls, long cudaFreeCalls, long cacheHits, long crossStreamReuses) {

    public long cachedBytes() {
        return reservedBytes - allocatedBytes;
    }
}
