package io.ddp4j.ddp.pg.nccl;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds a CUDA stream until the test opens the gate: the stream waits (cuStreamWaitValue32, from
 * the driver library: the one in {@code DDP4J_CUDA_PATH}, as ddp4j's CUDA emulator has, else the
 * system's) until a 32-bit word becomes 1. The word is in pinned host memory (the device reads it
 * through unified addressing), and {@link #open()} writes it from Java with no CUDA call: opening
 * must not depend on the driver, because another thread may be inside a call that waits for the
 * held stream (NCCL's abort frees memory, which waits for the device). GPU tests use it to keep an
 * op from starting, to see that the communication stream waits for the caller's stream, and to
 * force a collective timeout. Test code only; the bindings have no driver-API stream memory
 * operations.
 */
final class StreamGate implements AutoCloseable {
    private static final MethodHandle WAIT = find();
    private static final int CU_STREAM_WAIT_VALUE_GEQ = 0;
    private static final VarHandle WORD = JAVA_INT.varHandle();

    private final long flag;
    private final MemorySegment word;
    private final List<Long> held = new ArrayList<>();
    private boolean open;

    private static MethodHandle find() {
        NativeLibrary cuda = NativeLibrary.find(LibrarySpec.CUDA_DRIVER);
        for (String name : List.of("cuStreamWaitValue32_v2", "cuStreamWaitValue32")) {
            if (cuda.has(name)) return cuda.function(name, FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT));
        }
        return null;
    }

    static boolean isAvailable() {
        return WAIT != null;
    }

    StreamGate() {
        flag = Cudart.cudaMallocHost(4);
        word = MemorySegment.ofAddress(flag).reinterpret(4);
        word.set(JAVA_INT, 0, 0);
        VarHandle.fullFence();
    }

    /** Work enqueued on {@code stream} after this call waits until {@link #open()}; false when the driver refuses. */
    boolean closeOn(long stream) {
        int status;
        try {
            status = (int) WAIT.invokeExact(stream, flag, 1, CU_STREAM_WAIT_VALUE_GEQ);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        if (status == 0) held.add(stream);
        return status == 0;
    }

    void open() {
        if (open) return;
        open = true;
        WORD.setVolatile(word, 0L, 1);
        VarHandle.fullFence();
    }

    /** Opens the gate, waits until the streams it held have passed it, and frees the word they read. */
    @Override
    public void close() {
        open();
        for (long stream : held) Cudart.cudaStreamSynchronize(stream);
        Cudart.cudaFreeHost(flag);
    }
}
