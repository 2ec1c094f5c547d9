package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.ddp4j.bindings.cuda.Cudart;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/** Device buffers for one GPU test, all freed when it closes; host staging in confined arenas. */
final class DeviceArrays implements AutoCloseable {
    private final List<Long> allocations = new ArrayList<>();

    long alloc(long bytes) {
        long p = Cudart.cudaMalloc(bytes);
        allocations.add(p);
        return p;
    }

    /** A zero-filled buffer of {@code count} floats. */
    long zeros(int count) {
        long p = alloc(4L * count);
        Cudart.cudaMemset(p, 0, 4L * count);
        return p;
    }

    long upload(float[] x) {
        long p = alloc(4L * x.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_FLOAT, x);
            Cudart.cudaMemcpy(p, host.address(), host.byteSize(), Cudart.cudaMemcpyHostToDevice);
        }
        return p;
    }

    /** Uploads {@code x} rounded to bf16 (callers compare with {@link GemmReference#roundedToBf16}). */
    long uploadBf16(float[] x) {
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = GemmReference.toBf16(x[i]);
        return uploadShorts(h);
    }

    long uploadFp16(float[] x) {
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = Float.floatToFloat16(x[i]);
        return uploadShorts(h);
    }

    private long uploadShorts(short[] h) {
        long p = alloc(2L * h.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_SHORT, h);
            Cudart.cudaMemcpy(p, host.address(), host.byteSize(), Cudart.cudaMemcpyHostToDevice);
        }
        return p;
    }

    /** Waits for all work on the device, then copies {@code count} floats back. */
    static float[] download(long p, int count) {
        Cudart.cudaDeviceSynchronize();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, count);
            Cudart.cudaMemcpy(host.address(), p, host.byteSize(), Cudart.cudaMemcpyDeviceToHost);
            return host.toArray(JAVA_FLOAT);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (long p : allocations) {
            try {
                Cudart.cudaFree(p);
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        allocations.clear();
        if (first != null) throw first;
    }
}
