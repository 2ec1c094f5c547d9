package io.ddp4j.tensor.memory.cuda;

/**
 * A block of device memory handed out by {@link CachingAllocator}: its address, the size it was
 * rounded to, the bytes asked for, and the stream it belongs to (its work is ordered there, so the
 * block can be reused on that stream as soon as it is freed).
 */
public final class Block {
    final long address;
    final long size;
    long stream; // changes when another stream takes the block over (after an event)
    long requested;
    boolean inUse;
    /** The captured graph this block belongs to, or null (see {@link GraphPool}). */
    GraphPool pool;

    Block(long address, long size, long stream) {
        this.address = address;
        this.size = size;
        this.stream = stream;
    }

    public long address() {
        return address;
    }

    public long size() {
        return size;
    }

    public long requested() {
        return requested;
    }

    public long stream() {
        return stream;
    }

    @Override
    public String toString() {
        return "Block[0x" + Long.toHexString(address) + ", " + size + " bytes, stream 0x" + Long.toHexString(stream) + "]";
    }
}
