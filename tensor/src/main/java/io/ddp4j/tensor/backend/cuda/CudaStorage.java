package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.memory.DeviceStorage;
import io.ddp4j.tensor.memory.RefCount;
import io.ddp4j.tensor.memory.cuda.Block;
import io.ddp4j.tensor.memory.cuda.CachingAllocator;

/**
 * Device memory of a CUDA tensor: one block of the device's caching allocator, reference counted.
 * The last release gives the block back to the allocator, which keeps it for the stream it was
 * used on (the backend's compute stream), so it is reused there in order, with no host wait.
 */
final class CudaStorage implements DeviceStorage {
    private final Device device;
    private final Block block;
    private final long byteSize;
    private final RefCount refs;

    CudaStorage(Device device, CachingAllocator allocator, Block block, long byteSize) {
        this.device = device;
        this.block = block;
        this.byteSize = byteSize;
        this.refs = new RefCount(() -> allocator.free(block));
    }

    @Override
    public long address() {
        if (refs.isZero()) throw new IllegalStateException(describe() + " was already freed");
        return block.address();
    }

    /** The allocator's block (for moving its last use to another stream); valid while this storage is. */
    Block block() {
        return block;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public long byteSize() {
        return byteSize;
    }

    @Override
    public void retain() {
        refs.retain(describe());
    }

    @Override
    public void release() {
        refs.release();
    }

    @Override
    public boolean isFreed() {
        return refs.isZero();
    }

    private String describe() {
        return "cuda storage of " + byteSize + " bytes on " + device;
    }
}
