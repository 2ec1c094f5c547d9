package io.ddp4j.bindings.kernel;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cuda.Dim3;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A reusable launch of one kernel: the {@code void* args[]} array, one 8-byte slot per argument,
 * and the grid and block dims live in one off-heap block allocated here once, so a launch
 * allocates nothing. Set the arguments, the shape, and call {@link #launch(long)}; values stay
 * set between launches. Not thread-safe: one per thread, or one per op owned by a stream.
 */
public final class KernelLaunch implements AutoCloseable {
    private static final int SLOT = 8;

    private final Kernel kernel;
    private final int argCount;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pointers;   // void* args[argCount]
    private final MemorySegment values;     // argCount slots of 8 bytes
    private final MemorySegment grid;
    private final MemorySegment block;
    private long sharedMem;
    private boolean closed;

    KernelLaunch(Kernel kernel, int argCount) {
        if (argCount < 0) throw new IllegalArgumentException("argCount must be >= 0, got " + argCount);
        this.kernel = kernel;
        this.argCount = argCount;
        this.pointers = arena.allocate((long) Math.max(argCount, 1) * 8, 8);
        this.values = arena.allocate((long) Math.max(argCount, 1) * SLOT, 8);
        for (int i = 0; i < argCount; i++) pointers.setAtIndex(JAVA_LONG, i, values.address() + (long) i * SLOT);
        this.grid = Dim3.allocate(arena, 1, 1, 1);
        this.block = Dim3.allocate(arena, 1, 1, 1);
    }

    public Kernel kernel() {
        return kernel;
    }

    private long slot(int i) {
        if (i < 0 || i >= argCount) {
            throw new IndexOutOfBoundsException("kernel " + kernel.name() + " takes " + argCount + " arguments; no argument " + i);
        }
        return (long) i * SLOT;
    }

    /** A pointer or 64-bit integer argument. */
    public KernelLaunch arg(int i, long value) {
        values.set(JAVA_LONG, slot(i), value);
        return this;
    }

    public KernelLaunch argInt(int i, int value) {
        values.set(JAVA_INT, slot(i), value);
        return this;
    }

    public KernelLaunch argFloat(int i, float value) {
        values.set(JAVA_FLOAT, slot(i), value);
        return this;
    }

    public KernelLaunch argDouble(int i, double value) {
        values.set(JAVA_DOUBLE, slot(i), value);
        return this;
    }

    public KernelLaunch grid(int x, int y, int z) {
        Dim3.set(grid, x, y, z);
        return this;
    }

    public KernelLaunch block(int x, int y, int z) {
        Dim3.set(block, x, y, z);
        return this;
    }

    public KernelLaunch sharedMem(long bytes) {
        this.sharedMem = bytes;
        return this;
    }

    /**
     * A 1-D shape for a grid-stride kernel over {@code n} elements: {@code blockSize} threads a block
     * and enough blocks to cover {@code n}, capped (the kernel's loop covers the rest).
     */
    public KernelLaunch shape1d(long n, int blockSize) {
        long blocks = Math.max(1, Math.min((n + blockSize - 1) / blockSize, 1L << 16));
        return grid((int) blocks, 1, 1).block(blockSize, 1, 1);
    }

    /** Enqueues the kernel on {@code stream} (0 is the legacy default stream). */
    public void launch(long stream) {
        if (closed) throw new IllegalStateException("launch of " + kernel.name() + " after its KernelLaunch was closed");
        Cudart.cudaLaunchKernel(kernel.handle(), grid, block, pointers.address(), sharedMem, stream);
    }

    /** The {@code void* args[]} array as the kernel will receive it (for tests of the layout). */
    MemorySegment argumentPointers() {
        return pointers.asReadOnly();
    }

    /** The 8-byte slot argument {@code i} is stored in. */
    MemorySegment argumentSlot(int i) {
        return values.asSlice(slot(i), SLOT).asReadOnly();
    }

    MemorySegment gridDim() {
        return grid.asReadOnly();
    }

    MemorySegment blockDim() {
        return block.asReadOnly();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
