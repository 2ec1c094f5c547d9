package io.ddp4j.bindings.nccl;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.ddp4j.bindings.cuda.Cudart;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A device buffer for the GPU tests: filled from and read back into Java arrays, freed on close. */
final class DeviceArray implements AutoCloseable {
    final long ptr;
    final long bytes;
    private boolean freed;

    private DeviceArray(long bytes) {
        this.bytes = bytes;
        this.ptr = Cudart.cudaMalloc(bytes);
    }

    static DeviceArray of(float[] values) {
        DeviceArray d = new DeviceArray(4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_FLOAT, values);
            Cudart.cudaMemcpy(d.ptr, host.address(), d.bytes, Cudart.cudaMemcpyHostToDevice);
            // from pageable memory the copy may return before its DMA lands; NCCL's streams do not order with it
            Cudart.cudaDeviceSynchronize();
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    static DeviceArray of(short[] values) {
        DeviceArray d = new DeviceArray(2L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_SHORT, values);
            Cudart.cudaMemcpy(d.ptr, host.address(), d.bytes, Cudart.cudaMemcpyHostToDevice);
            // from pageable memory the copy may return before its DMA lands; NCCL's streams do not order with it
            Cudart.cudaDeviceSynchronize();
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** {@code n} floats that are all {@code value}: a sentinel, so a call that writes nothing is caught. */
    static DeviceArray filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return of(v);
    }

    float[] floats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(bytes, 8);
            Cudart.cudaMemcpy(host.address(), ptr, bytes, Cudart.cudaMemcpyDeviceToHost);
            return host.toArray(JAVA_FLOAT);
        }
    }

    short[] shorts() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(bytes, 8);
            Cudart.cudaMemcpy(host.address(), ptr, bytes, Cudart.cudaMemcpyDeviceToHost);
            return host.toArray(JAVA_SHORT);
        }
    }

    @Override
    public void close() {
        if (freed) return;
        freed = true;
        Cudart.cudaFree(ptr);
    }
}
