package io.ddp4j.bindings.cuda;

import static io.ddp4j.bindings.cuda.Cudart.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.CudaException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class CudaRuntimeGpuTest {

    @BeforeEach
    void gpu() {
        GpuAssumptions.assumeGpu();
        cudaSetDevice(0);
    }

    @Test
    void theDeviceDescribesItself() {
        DeviceProperties p = cudaGetDeviceProperties(0);
        assertFalse(p.name().isBlank());
        assertTrue(p.major() >= 7, p.computeCapability());
        assertEquals(p.major(), cudaDeviceGetAttribute(cudaDevAttrComputeCapabilityMajor, 0));
        assertEquals(p.multiProcessorCount(), cudaDeviceGetAttribute(cudaDevAttrMultiProcessorCount, 0));
        MemInfo m = cudaMemGetInfo();
        assertTrue(m.free() > 0 && m.free() <= m.total() && m.total() <= p.totalGlobalMem() + (1L << 30));
        assertTrue(cudaRuntimeGetVersion() >= 13000);
        assertTrue(cudaDriverGetVersion() >= cudaRuntimeGetVersion());
        assertEquals(0, cudaGetDevice());
    }

    @Test
    void bytesSurviveARoundTripThroughTheDevice() {
        int n = 1 << 20;
        long dev = cudaMalloc(n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(n), dst = arena.allocate(n);
            for (int i = 0; i < n; i++) src.set(JAVA_BYTE, i, (byte) (i * 31 + 7));
            cudaMemcpy(dev, src.address(), n, cudaMemcpyHostToDevice);
            cudaMemcpy(dst.address(), dev, n, cudaMemcpyDeviceToHost);
            assertEquals(-1, src.mismatch(dst));
        } finally {
            cudaFree(dev);
        }
    }

    @Test
    void asyncCopiesThroughPinnedMemoryOnAStream() {
        int n = 4096;
        long stream = cudaStreamCreateWithPriority(cudaStreamNonBlocking, 0);
        long pinnedSrc = cudaHostAlloc(n, cudaHostAllocDefault), pinnedDst = cudaMallocHost(n);
        long dev = cudaMallocAsync(n, stream);
        try {
            MemorySegment src = MemorySegment.ofAddress(pinnedSrc).reinterpret(n), dst = MemorySegment.ofAddress(pinnedDst).reinterpret(n);
            for (int i = 0; i < n; i++) src.set(JAVA_BYTE, i, (byte) i);
            cudaMemcpyAsync(dev, pinnedSrc, n, cudaMemcpyHostToDevice, stream);
            cudaMemcpyAsync(pinnedDst, dev, n, cudaMemcpyDeviceToHost, stream);
            cudaStreamSynchronize(stream);
            assertTrue(cudaStreamQuery(stream));
            assertEquals(-1, src.mismatch(dst));
            assertEquals(PointerAttributes.cudaMemoryTypeHost, cudaPointerGetAttributes(pinnedSrc).type());
            assertTrue(cudaPointerGetAttributes(dev).isDevice());
        } finally {
            cudaFreeAsync(dev, stream);
            cudaStreamSynchronize(stream);
            cudaFreeHost(pinnedSrc);
            cudaFreeHost(pinnedDst);
            cudaStreamDestroy(stream);
        }
    }

    @Test
    void memsetAsyncSetsEveryByte() {
        int n = 10_001;
        long dev = cudaMalloc(n);
        try (Arena arena = Arena.ofConfined()) {
            cudaMemsetAsync(dev, 0x5A, n, 0);
            MemorySegment host = arena.allocate(n);
            cudaMemcpy(host.address(), dev, n, cudaMemcpyDeviceToHost);
            for (int i = 0; i < n; i++) assertEquals((byte) 0x5A, host.get(JAVA_BYTE, i), "byte " + i);
        } finally {
            cudaFree(dev);
        }
    }

    @Test
    void eventsOrderStreamsAndMeasureTime() {
        long a = cudaStreamCreateWithPriority(cudaStreamNonBlocking, cudaDeviceGetStreamPriorityRange()[1]);
        long b = cudaStreamCreateWithPriority(cudaStreamNonBlocking, 0);
        long start = cudaEventCreateWithFlags(cudaEventDefault), end = cudaEventCreateWithFlags(cudaEventDefault);
        long dev = cudaMalloc(1 << 24);
        try {
            cudaEventRecord(start, a);
            cudaMemsetAsync(dev, 1, 1 << 24, a);
            cudaEventRecord(end, a);
            cudaStreamWaitEvent(b, end, 0);
            cudaMemsetAsync(dev, 2, 16, b);
            cudaStreamSynchronize(b);
            assertTrue(cudaEventQuery(end), "b waited on the event, so it is complete");
            float ms = cudaEventElapsedTime(start, end);
            assertTrue(ms >= 0 && ms < 1000, "elapsed " + ms + " ms");
        } finally {
            cudaFree(dev);
            cudaEventDestroy(start);
            cudaEventDestroy(end);
            cudaStreamDestroy(a);
            cudaStreamDestroy(b);
        }
    }

    @Test
    void badArgumentsGiveExceptionsNotCrashes() {
        var e = assertThrows(CudaException.class, () -> cudaSetDevice(9999));
        assertEquals("cudaSetDevice", e.call());
        assertEquals("cudaErrorInvalidDevice", e.codeName());

        var oom = assertThrows(CudaException.class, () -> cudaMalloc(1L << 60));
        assertTrue(oom.isOutOfMemory(), oom.getMessage());

        var free = assertThrows(CudaException.class, () -> cudaFree(0xDEAD0000L));
        assertEquals("cudaFree", free.call());

        long dev = cudaMalloc(64);
        try {
            var dir = assertThrows(CudaException.class, () -> cudaMemcpy(dev, dev, 64, 42));
            assertEquals("cudaErrorInvalidMemcpyDirection", dir.codeName());
        } finally {
            cudaFree(dev);
        }
        // the context is still healthy after all of that
        long again = cudaMalloc(1024);
        cudaFree(again);
        assertEquals(0, cudaGetLastError());
    }

    @Test
    void criticalAndPlainBindingsAgree() {
        assertEquals(cudaGetDevice(), CudartUncritical.cudaGetDevice());
        long dev = cudaMalloc(256);
        try (Arena arena = Arena.ofConfined()) {
            CudartUncritical.cudaMemsetAsync(dev, 9, 256, 0);
            MemorySegment host = arena.allocate(256);
            cudaMemcpy(host.address(), dev, 256, cudaMemcpyDeviceToHost);
            byte[] want = new byte[256];
            java.util.Arrays.fill(want, (byte) 9);
            assertArrayEquals(want, host.toArray(JAVA_BYTE));
        } finally {
            cudaFree(dev);
        }
    }
}
