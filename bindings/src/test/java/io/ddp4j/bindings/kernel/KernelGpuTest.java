package io.ddp4j.bindings.kernel;

import static io.ddp4j.bindings.cuda.Cudart.*;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.CudaException;
import io.ddp4j.bindings.cuda.GpuAssumptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("gpu")
class KernelGpuTest {

    @BeforeEach
    void gpu() {
        GpuAssumptions.assumeGpu();
        cudaSetDevice(0);
    }

    private static float[] download(long dev, int n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_FLOAT, n);
            cudaMemcpy(host.address(), dev, (long) n * 4, cudaMemcpyDeviceToHost);
            return host.toArray(JAVA_FLOAT);
        }
    }

    private static void upload(long dev, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocateFrom(JAVA_FLOAT, values);
            cudaMemcpy(dev, host.address(), (long) values.length * 4, cudaMemcpyHostToDevice);
        }
    }

    @Test
    void fillWritesTheValueEverywhereIncludingAnOddTail() {
        int n = 1_000_003;
        long y = cudaMalloc(n * 4L);
        try (KernelLaunch fill = KernelModule.get().kernel("ddp4j_fill_f32").launcher(3)) {
            fill.arg(0, y).argFloat(1, 3.25f).arg(2, n).shape1d(n, 256).launch(0);
            float[] got = download(y, n);
            for (int i = 0; i < n; i++) assertEquals(3.25f, got[i], "element " + i);
        } finally {
            cudaFree(y);
        }
    }

    @Test
    void axpyMatchesTheCpuReference() {
        int n = 5003;
        float alpha = -1.5f;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i);
            y[i] = (float) Math.cos(i);
        }
        long dx = cudaMalloc(n * 4L), dy = cudaMalloc(n * 4L);
        try (KernelLaunch axpy = KernelModule.get().kernel("ddp4j_axpy_f32").launcher(4)) {
            upload(dx, x);
            upload(dy, y);
            axpy.arg(0, dy).arg(1, dx).argFloat(2, alpha).arg(3, n).shape1d(n, 128).launch(0);
            float[] got = download(dy, n);
            for (int i = 0; i < n; i++) assertEquals(Math.fma(alpha, x[i], y[i]), got[i], 0f, "element " + i);
        } finally {
            cudaFree(dx);
            cudaFree(dy);
        }
    }

    @Test
    void aCapturedGraphReplayedAHundredTimesRunsItsKernelsAHundredTimes() {
        int n = 4099;
        long stream = cudaStreamCreateWithPriority(cudaStreamNonBlocking, 0);
        long ones = cudaMalloc(n * 4L), acc = cudaMalloc(n * 4L);
        long graph = 0, exec = 0;
        try (KernelLaunch fill = KernelModule.get().kernel("ddp4j_fill_f32").launcher(3);
             KernelLaunch axpy = KernelModule.get().kernel("ddp4j_axpy_f32").launcher(4)) {
            fill.arg(0, ones).argFloat(1, 1f).arg(2, n).shape1d(n, 256).launch(stream);
            fill.arg(0, acc).argFloat(1, 0f).launch(stream);
            cudaStreamSynchronize(stream);

            cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
            axpy.arg(0, acc).arg(1, ones).argFloat(2, 1f).arg(3, n).shape1d(n, 256).launch(stream);
            graph = cudaStreamEndCapture(stream);
            exec = cudaGraphInstantiate(graph, 0);
            float[] before = download(acc, n);
            assertEquals(0f, before[0], "capturing records the kernel without running it");

            for (int i = 0; i < 100; i++) cudaGraphLaunch(exec, stream);
            cudaStreamSynchronize(stream);
            float[] got = download(acc, n);
            for (int i = 0; i < n; i++) assertEquals(100f, got[i], "element " + i);
        } finally {
            if (exec != 0) cudaGraphExecDestroy(exec);
            if (graph != 0) cudaGraphDestroy(graph);
            cudaFree(ones);
            cudaFree(acc);
            cudaStreamDestroy(stream);
        }
    }

    @Test
    void anUnknownKernelNameIsAnExceptionNamingIt() {
        var e = assertThrows(CudaException.class, () -> KernelModule.get().kernel("ddp4j_no_such_kernel"));
        assertTrue(e.getMessage().contains("ddp4j_no_such_kernel"), e.getMessage());
    }

    @Test
    void aBadLaunchShapeIsAnExceptionAndTheContextSurvives() {
        long y = cudaMalloc(64);
        try (KernelLaunch fill = KernelModule.get().kernel("ddp4j_fill_f32").launcher(3)) {
            fill.arg(0, y).argFloat(1, 1f).arg(2, 16L).grid(1, 1, 1).block(4096, 1, 1); // more threads than a block may have
            var e = assertThrows(CudaException.class, () -> fill.launch(0));
            assertEquals("cudaLaunchKernel", e.call());
            fill.block(16, 1, 1).launch(0);
            assertEquals(1f, download(y, 16)[15]);
        } finally {
            cudaFree(y);
        }
    }
}
