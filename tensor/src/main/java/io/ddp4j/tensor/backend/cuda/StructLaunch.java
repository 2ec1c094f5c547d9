package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cuda.Dim3;
import io.ddp4j.bindings.kernel.Kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A reusable launch of kernels that take one struct by value: an off-heap parameter block that
 * {@link #params()} fills, the one-entry {@code void* args[]} pointing at it, and the grid and
 * block dims, all allocated once. The driver copies the parameters when the launch is enqueued,
 * so the block can be refilled at once for the next launch. Not thread-safe: the backend owns
 * one per device and launches under its lock.
 */
final class StructLaunch implements AutoCloseable {
    /** Bytes of the largest parameter struct, rounded up generously (a kernel takes up to 4 KiB). */
    static final int PARAM_BYTES = 1024;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment params = arena.allocate(PARAM_BYTES, 16);
    private final MemorySegment args = arena.allocate(8, 8);
    private final MemorySegment grid = Dim3.allocate(arena, 1, 1, 1);
    private final MemorySegment block = Dim3.allocate(arena, 1, 1, 1);
    private final Slots slots = new Slots(params);
    private boolean closed;

    StructLaunch() {
        args.set(ValueLayout.JAVA_LONG, 0, params.address());
    }

    /** The parameter block, emptied, ready to be filled in field order. */
    Slots params() {
        return slots.reset();
    }

    /** Enqueues {@code kernel} with the struct written since {@link #params()}. */
    void launch(Kernel kernel, int gridX, int blockX, long stream) {
        if (closed) throw new IllegalStateException("launch of " + kernel.name() + " after the CUDA backend was closed");
        if (slots.count() * 8 > PARAM_BYTES) throw new IllegalStateException(kernel.name() + ": parameter struct of " + slots.count() + " slots overflows");
        Dim3.set(grid, gridX, 1, 1);
        Dim3.set(block, blockX, 1, 1);
        Cudart.cudaLaunchKernel(kernel.handle(), grid, block, args.address(), 0, stream);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
