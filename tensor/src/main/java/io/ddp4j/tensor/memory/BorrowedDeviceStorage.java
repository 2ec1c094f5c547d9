package io.ddp4j.tensor.memory;

import io.ddp4j.tensor.Device;

/**
 * Device memory someone else owns, seen as a storage so tensor ops can run on it (a collective's
 * buffer, given by address): releasing the last reference frees nothing. The owner keeps the
 * memory alive until the work enqueued on it is done.
 */
final class BorrowedDeviceStorage implements DeviceStorage {
    private final Device device;
    private final long address;
    private final long byteSize;
    private final RefCount refs = new RefCount(() -> {});

    BorrowedDeviceStorage(Device device, long address, long byteSize) {
        if (device.isCpu()) throw new IllegalArgumentException("a borrowed device storage needs an accelerator device, not " + device);
        if (address == 0 && byteSize > 0) throw new IllegalArgumentException("a borrowed device storage of " + byteSize + " bytes has a null address");
        if (byteSize < 0) throw new IllegalArgumentException("a borrowed device storage cannot have " + byteSize + " bytes");
        this.device = device;
        this.address = address;
        this.byteSize = byteSize;
    }

    @Override
    public long address() {
        if (refs.isZero()) throw new IllegalStateException("borrowed " + device + " storage of " + byteSize + " bytes was released");
        return address;
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
        refs.retain("borrowed " + device + " storage of " + byteSize + " bytes");
    }

    @Override
    public void release() {
        refs.release();
    }

    @Override
    public boolean isFreed() {
        return refs.isZero();
    }
}
