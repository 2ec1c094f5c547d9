package io.ddp4j.bindings.cublas;

import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_GEMM_DEFAULT;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_N;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_T;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_16BF;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_16F;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_32F;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.CublasException;
import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** cuBLAS GEMMs on a real GPU against the plain-Java column-major reference. */
@Tag("gpu")
class CublasGemmGpuTest {
    private final Random rnd = new Random(7);
    private CublasHandle handle;

    @BeforeEach
    void needsGpuAndCublas() {
        assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Cublas.isLoaded(), () -> Cublas.library().failure().map(Throwable::getMessage).orElse("cuBLAS not loaded"));
        handle = CublasHandle.create();
    }

    @AfterEach
    void closeHandle() {
        if (handle != null) handle.close();
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double diff = GemmReference.maxAbsDiff(expected, actual);
        assertTrue(diff <= tolerance, () -> what + ": max |difference| " + diff + " > " + tolerance);
    }

    @Test
    void versionAndHandleSettings() {
        String v = Cublas.versionString();
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+"), v);
        int major = Integer.parseInt(v.substring(0, v.indexOf('.')));
        assertTrue(major >= 12, v);
        assertEquals(major, Cublas.cublasGetVersion(handle.handle()) / 10000, "cublasGetVersion is major*10000+minor*100+patch");

        handle.setMathMode(Cublas.CUBLAS_TF32_TENSOR_OP_MATH);
        assertEquals(Cublas.CUBLAS_TF32_TENSOR_OP_MATH, handle.mathMode());
        handle.setMathMode(Cublas.CUBLAS_DEFAULT_MATH);
        assertEquals(Cublas.CUBLAS_DEFAULT_MATH, handle.mathMode());
        assertEquals(Cublas.CUBLAS_POINTER_MODE_HOST, Cublas.cublasGetPointerMode(handle.handle()));

        // a handle of its own, closed (try-with-resources, reverse order) before its stream and workspace go
        long stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        try (DeviceArrays mem = new DeviceArrays(); CublasHandle h = CublasHandle.create()) {
            h.setStream(stream);
            assertEquals(stream, h.stream());
            h.setWorkspace(mem.alloc(4 << 20), 4 << 20);
            long p = mem.zeros(16);
            Cublas.cublasSgemm(h.handle(), CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, 1f, p, 4, p, 4, 0f, p, 4);
            Cudart.cudaStreamSynchronize(stream);
        } finally {
            Cudart.cudaStreamDestroy(stream);
        }
    }

    @Test
    void sgemmWithTransposePaddingAlphaAndBeta() {
        int m = 33, n = 17, k = 29, lda = m + 3, ldb = n + 1, ldc = m + 2;  // A: m x k (N), B stored n x k (T)
        float[] a = GemmReference.random(rnd, lda * k), b = GemmReference.random(rnd, ldb * k), c = GemmReference.random(rnd, ldc * n);
        float[] expected = GemmReference.gemm(CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);
        try (DeviceArrays mem = new DeviceArrays()) {
            long dA = mem.upload(a), dB = mem.upload(b), dC = mem.upload(c);
            Cublas.cublasSgemm(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, 1.5f, dA, lda, dB, ldb, 0.5f, dC, ldc);
            float[] got = DeviceArrays.download(dC, ldc * n);
            assertClose(expected, got, 1e-4, "SGEMM");
            // the padding rows of C (m..ldc-1) are left alone
            assertEquals(c[m], got[m]);
        }
    }

    @Test
    void gemmExWithBf16AndFp16InputsAccumulatesInFp32() {
        int m = 40, n = 24, k = 64;
        float[] a = GemmReference.random(rnd, m * k), b = GemmReference.random(rnd, k * n);
        try (DeviceArrays mem = new DeviceArrays()) {
            // bf16: the reference multiplies the same rounded values, so only fp32 summation order differs
            long dC = mem.zeros(m * n);
            Cublas.cublasGemmEx(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, mem.uploadBf16(a), CUDA_R_16BF, m,
                    mem.uploadBf16(b), CUDA_R_16BF, k, 0f, dC, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            float[] expectedBf16 = GemmReference.gemm(CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, GemmReference.roundedToBf16(a), m,
                    GemmReference.roundedToBf16(b), k, 0f, new float[m * n], m);
            float[] gotBf16 = DeviceArrays.download(dC, m * n);
            assertClose(expectedBf16, gotBf16, 1e-3, "bf16 GemmEx");
            // and the rounding is real: against unrounded inputs the error is far larger than 1e-3
            float[] exact = GemmReference.gemm(CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, a, m, b, k, 0f, new float[m * n], m);
            assertTrue(GemmReference.maxAbsDiff(exact, gotBf16) > 2e-3, "bf16 inputs should differ from fp32 ones");

            long dC16 = mem.zeros(m * n);
            Cublas.cublasGemmEx(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, mem.uploadFp16(a), CUDA_R_16F, m,
                    mem.uploadFp16(b), CUDA_R_16F, k, 0f, dC16, CUDA_R_32F, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            float[] expectedFp16 = GemmReference.gemm(CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, GemmReference.roundedToFp16(a), m,
                    GemmReference.roundedToFp16(b), k, 0f, new float[m * n], m);
            assertClose(expectedFp16, DeviceArrays.download(dC16, m * n), 1e-3, "fp16 GemmEx");
        }
    }

    @Test
    void tf32ComputeIsCloseToFp32() {
        int m = 64, n = 48, k = 64;
        float[] a = GemmReference.random(rnd, m * k), b = GemmReference.random(rnd, k * n);
        float[] expected = GemmReference.gemm(CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, 1f, a, k, b, k, 0f, new float[m * n], m);
        try (DeviceArrays mem = new DeviceArrays()) {
            long dC = mem.zeros(m * n);
            Cublas.cublasGemmEx(handle.handle(), CUBLAS_OP_T, CUBLAS_OP_N, m, n, k, 1f, mem.upload(a), CUDA_R_32F, k,
                    mem.upload(b), CUDA_R_32F, k, 0f, dC, CUDA_R_32F, m, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT);
            // TF32 keeps 10 mantissa bits: each product may be off by ~2^-10 relative; 64 of them, values in [-1, 1]
            assertClose(expected, DeviceArrays.download(dC, m * n), 5e-2, "TF32 GemmEx");
        }
    }

    @Test
    void stridedBatchedGemmsMatchOneGemmPerBatch() {
        int m = 8, n = 5, k = 6, batch = 3;
        long strideA = (long) m * k, strideB = (long) k * n, strideC = (long) m * n;
        float[] a = GemmReference.random(rnd, m * k * batch), b = GemmReference.random(rnd, k * n * batch);
        float[] expected = new float[m * n * batch];
        for (int i = 0; i < batch; i++) {
            float[] ai = Arrays.copyOfRange(a, (int) (i * strideA), (int) ((i + 1) * strideA));
            float[] bi = Arrays.copyOfRange(b, (int) (i * strideB), (int) ((i + 1) * strideB));
            float[] ci = GemmReference.gemm(CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, ai, m, bi, k, 0f, new float[m * n], m);
            System.arraycopy(ci, 0, expected, (int) (i * strideC), m * n);
        }
        try (DeviceArrays mem = new DeviceArrays()) {
            long dA = mem.upload(a), dB = mem.upload(b), dC = mem.zeros(m * n * batch), dC2 = mem.zeros(m * n * batch);
            Cublas.cublasSgemmStridedBatched(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, dA, m, strideA, dB, k, strideB,
                    0f, dC, m, strideC, batch);
            assertClose(expected, DeviceArrays.download(dC, m * n * batch), 1e-4, "SgemmStridedBatched");
            Cublas.cublasGemmStridedBatchedEx(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, 1f, dA, CUDA_R_32F, m, strideA,
                    dB, CUDA_R_32F, k, strideB, 0f, dC2, CUDA_R_32F, m, strideC, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
            assertClose(expected, DeviceArrays.download(dC2, m * n * batch), 1e-4, "GemmStridedBatchedEx");
        }
    }

    @Test
    void invalidArgumentsBecomeCublasExceptions() {
        try (DeviceArrays mem = new DeviceArrays()) {
            long p = mem.zeros(64);
            var negative = assertThrows(CublasException.class,
                    () -> Cublas.cublasSgemm(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, -1, 4, 4, 1f, p, 4, p, 4, 0f, p, 4));
            assertEquals(Cublas.CUBLAS_STATUS_INVALID_VALUE, negative.code());
            assertEquals("CUBLAS_STATUS_INVALID_VALUE", negative.codeName());
            assertEquals("cublasSgemm_v2", negative.call());
            assertNotEquals(CublasErrors.NO_LIBRARY, negative.libraryMessage());

            var smallLda = assertThrows(CublasException.class,
                    () -> Cublas.cublasSgemm(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, 8, 4, 4, 1f, p, 7, p, 4, 0f, p, 8));
            assertEquals(Cublas.CUBLAS_STATUS_INVALID_VALUE, smallLda.code());
            // the handle still works afterwards
            Cublas.cublasSgemm(handle.handle(), CUBLAS_OP_N, CUBLAS_OP_N, 4, 4, 4, 1f, p, 4, p, 4, 0f, p, 4);
            Cudart.cudaDeviceSynchronize();
        }
    }

    @Test
    void aClosedHandleIsRefusedInJava() {
        CublasHandle h = CublasHandle.create();
        h.close();
        h.close();
        assertThrows(IllegalStateException.class, () -> h.setStream(0));
    }
}
