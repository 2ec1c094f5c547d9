package io.ddp4j.bindings.cudnn;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.ddp4j.bindings.cuda.Cudart;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Float device buffers for a test, all freed by {@link #close()}. Copies are synchronous (cudaMemcpy). */
final class DeviceBuffers implements AutoCloseable {
    private final List<Long> pointers = new ArrayList<>();

    long allocate(int floats) {
        long d = Cudart.cudaMalloc(4L * floats);
        pointers.add(d);
        return d;
    }

    long upload(float[] values) {
        long d = allocate(values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_FLOAT, values);
            Cudart.cudaMemcpy(d, host.address(), 4L * values.length, Cudart.cudaMemcpyHostToDevice);
        }
        return d;
    }

    /** A buffer of junk (every float 3.0039...), so a test sees whether cuDNN wrote all of it. */
    long junk(int floats) {
        long d = allocate(floats);
        Cudart.cudaMemset(d, 0x40, 4L * floats);
        return d;
    }

    /** Waits for all queued work, then copies {@code floats} values back. */
    float[] download(long d, int floats) {
        Cudart.cudaDeviceSynchronize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, floats);
            Cudart.cudaMemcpy(host.address(), d, 4L * floats, Cudart.cudaMemcpyDeviceToHost);
            return host.toArray(JAVA_FLOAT);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = pointers.size() - 1; i >= 0; i--) {
            try {
                Cudart.cudaFree(pointers.get(i));
            } catch (RuntimeException e) {
                if (first == null) first = e; else first.addSuppressed(e);
            }
        }
        pointers.clear();
        if (first != null) throw first;
    }
}
