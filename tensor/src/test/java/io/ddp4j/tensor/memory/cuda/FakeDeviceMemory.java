package io.ddp4j.tensor.memory.cuda;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A pretend GPU with a fixed capacity that logs every call the allocator makes. */
final class FakeDeviceMemory implements DeviceMemoryApi {
    final long capacity;
    final Map<Long, Long> allocations = new HashMap<>();
    final List<String> log = new ArrayList<>();
    private long next = 0x7f00_0000_0000L;
    private long used;
    private long events;

    FakeDeviceMemory(long capacity) {
        this.capacity = capacity;
    }

    @Override
    public long tryMalloc(long bytes) {
        log.add("malloc " + bytes);
        if (used + bytes > capacity) return 0;
        long p = next;
        next += bytes + 4096;
        used += bytes;
        allocations.put(p, bytes);
        return p;
    }

    @Override
    public void free(long pointer) {
        Long bytes = allocations.remove(pointer);
        if (bytes == null) throw new AssertionError("cudaFree of a pointer that was never allocated: " + pointer);
        used -= bytes;
        log.add("free " + bytes);
    }

    @Override
    public long createEvent() {
        return ++events;
    }

    @Override
    public void destroyEvent(long event) {
        log.add("destroyEvent " + event);
    }

    @Override
    public void recordEvent(long event, long stream) {
        log.add("record event " + event + " on stream " + stream);
    }

    @Override
    public void streamWaitEvent(long stream, long event) {
        log.add("stream " + stream + " waits for event " + event);
    }

    @Override
    public void synchronize() {
        log.add("synchronize");
    }

    @Override
    public long[] memInfo() {
        return new long[] {capacity - used, capacity};
    }
}
