package io.ddp4j.ddp.pg.nccl;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.cuda.Cudart;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Holds a CUDA stream until the test opens the gate: the stream waits (cuStreamWaitValue32, from
 * the driver library) until a 32-bit word in device memory becomes 1, which {@link #open()}
 * writes from another stream. GPU tests use it to keep an op from starting, to see that the
 * communication stream waits for the caller's stream, and to force a collective timeout. Test
 * code only; the bindings have no driver-API stream memory operations.
 */
final class StreamGate implements AutoCloseable {
    private static final MethodHandle WAIT = find();
    private static final int CU_STREAM_WAIT_VALUE_GEQ = 0;

    private final long flag, openStream, one;
    private boolean open;

    private static MethodHandle find() {
        try {
            SymbolLookup cuda = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            Optional<MemorySegment> f = cuda.find("cuStreamWaitValue32_v2").or(() -> cuda.find("cuStreamWaitValue32"));
            return f.map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT)))
                    .orElse(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    static boolean isAvailable() {
        return WAIT != null;
    }

    StreamGate() {
        flag = Cudart.cudaMalloc(4);
        Cudart.cudaMemset(flag, 0, 4);
        one = Cudart.cudaMallocHost(4);
        MemorySegment.ofAddress(one).reinterpret(4).set(JAVA_INT, 0, 1);
        openStream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
    }

    /** Work enqueued on {@code stream} after this call waits until {@link #open()}; false when the driver refuses. */
    boolean closeOn(long stream) {
        int status;
        try {
            status = (int) WAIT.invokeExact(stream, flag, 1, CU_STREAM_WAIT_VALUE_GEQ);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return status == 0;
    }

    void open() {
        if (open) return;
        open = true;
        Cudart.cudaMemcpyAsync(flag, one, 4, Cudart.cudaMemcpyHostToDevice, openStream);
        Cudart.cudaStreamSynchronize(openStream);
    }

    @Override
    public void close() {
        open();
        Cudart.cudaStreamDestroy(openStream);
        Cudart.cudaFreeHost(one);
        Cudart.cudaFree(flag);
    }
}
