package io.ddp4j.bindings.cublas;

import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_32F;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** cuBLASLt plans for nn.Linear's forward and weight-gradient GEMMs on a real GPU. */
@Tag("gpu")
class CublasLtGpuTest {
    private static final long WORKSPACE = 4 << 20;
    private final Random rnd = new Random(11);
    private LtHandle lt;

    @BeforeEach
    void needsGpuAndCublasLt() {
        assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(CublasLt.isLoaded(), () -> CublasLt.library().failure().map(Throwable::getMessage).orElse("cuBLASLt not loaded"));
        lt = LtHandle.create();
    }

    @AfterEach
    void closeHandle() {
        if (lt != null) lt.close();
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        double diff = GemmReference.maxAbsDiff(expected, actual);
        assertTrue(diff <= tolerance, () -> what + ": max |difference| " + diff + " > " + tolerance);
    }

    @Test
    void versionAndDescriptorAttributesRoundTrip() {
        String v = CublasLt.versionString();
        assertTrue(v.matches("\\d+\\.\\d+\\.\\d+"), v);
        assertEquals(Integer.parseInt(v.substring(0, v.indexOf('.'))), CublasLt.cublasLtGetVersion() / 10000);
        try (LtMatmulDesc desc = LtMatmulDesc.create(CUBLAS_COMPUTE_32F, CUDA_R_32F)) {
            desc.setInt(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE, LtEpilogue.RELU_BIAS.value())
                .setInt(CublasLt.CUBLASLT_MATMUL_DESC_TRANSA, Cublas.CUBLAS_OP_T)
                .setLong(CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER, 0x1234_5600L);
            assertEquals(LtEpilogue.RELU_BIAS.value(), desc.getInt(CublasLt.CUBLASLT_MATMUL_DESC_EPILOGUE));
            assertEquals(Cublas.CUBLAS_OP_T, desc.getInt(CublasLt.CUBLASLT_MATMUL_DESC_TRANSA));
            assertEquals(CUBLAS_COMPUTE_32F, desc.getInt(CublasLt.CUBLASLT_MATMUL_DESC_COMPUTE_TYPE));
            assertEquals(0x1234_5600L, desc.getLong(CublasLt.CUBLASLT_MATMUL_DESC_BIAS_POINTER));
        }
    }

    /** y = relu(x W^T + b), row-major, as nn.Linear + ReLU will run it. */
    private void linearForwardWithBiasAndRelu(int batch, int in, int out, LtMatmulSpec spec) {
        float[] x = GemmReference.random(rnd, batch * in), w = GemmReference.random(rnd, out * in), b = GemmReference.random(rnd, out);
        float[] expected = GemmReference.forward(spec, w, x, b);
        try (DeviceArrays mem = new DeviceArrays(); LtMatmulPlan plan = LtMatmulPlan.create(lt, spec, WORKSPACE)) {
            long y = mem.zeros(batch * out);
            long workspace = mem.alloc(WORKSPACE);
            plan.run(mem.upload(w), mem.upload(x), y, mem.upload(b), 0, workspace, WORKSPACE, 0);
            float[] got = DeviceArrays.download(y, batch * out);
            assertClose(expected, got, 1e-4, "Lt " + spec.epilogue());
            long zeros = java.util.stream.IntStream.range(0, got.length).filter(i -> got[i] == 0f).count();
            assertTrue(zeros > 0 && zeros < got.length, "ReLU should clip some but not all of " + got.length + " values, clipped " + zeros);
        }
    }

    @Test
    void biasReluEpilogueMatchesTheReference() {
        linearForwardWithBiasAndRelu(16, 32, 24,
                LtMatmulSpec.linearForward(16, 32, 24, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.RELU_BIAS).withAlignment(16));
    }

    @Test
    void biasReluEpilogueAtTheDefaultAlignmentWithOddSizes() {
        linearForwardWithBiasAndRelu(13, 29, 11, LtMatmulSpec.linearForward(13, 29, 11, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.RELU_BIAS));
    }

    @Test
    void biasGeluEpilogueIsTheTanhApproximation() {
        int batch = 16, in = 32, out = 24;
        LtMatmulSpec spec = LtMatmulSpec.linearForward(batch, in, out, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.GELU_BIAS).withAlignment(16);
        float[] x = GemmReference.random(rnd, batch * in), w = GemmReference.random(rnd, out * in), b = GemmReference.random(rnd, out);
        float[] expected = GemmReference.forward(spec, w, x, b);
        try (DeviceArrays mem = new DeviceArrays(); LtMatmulPlan plan = LtMatmulPlan.create(lt, spec, WORKSPACE)) {
            long y = mem.zeros(batch * out), workspace = mem.alloc(WORKSPACE);
            plan.run(mem.upload(w), mem.upload(x), y, mem.upload(b), 0, workspace, WORKSPACE, 0);
            float[] got = DeviceArrays.download(y, batch * out);
            assertClose(expected, got, 2e-4, "Lt GELU_BIAS");
            // GELU lets small negatives through (ReLU would clip them to 0): the epilogue really is GELU
            assertTrue(java.util.stream.IntStream.range(0, got.length).anyMatch(i -> got[i] < 0f), "GELU output has no negative values");
        }
    }

    @Test
    void weightGradientWithBgradbGivesBiasGradientAsBatchSums() {
        int batch = 32, in = 16, out = 12;
        LtMatmulSpec spec = LtMatmulSpec.linearWeightGrad(batch, in, out, CUDA_R_32F, CUBLAS_COMPUTE_32F, true).withAlignment(16);
        float[] x = GemmReference.random(rnd, batch * in), dy = GemmReference.random(rnd, batch * out);
        float[] expectedDw = GemmReference.forward(spec, x, dy, null);
        float[] expectedDb = GemmReference.columnSumsOfOpB(spec, dy);
        try (DeviceArrays mem = new DeviceArrays(); LtMatmulPlan plan = LtMatmulPlan.create(lt, spec, WORKSPACE)) {
            long dw = mem.zeros(out * in), db = mem.zeros(out);
            long workspace = mem.alloc(WORKSPACE);
            assertTrue(plan.workspaceSize() <= WORKSPACE);
            plan.run(mem.upload(x), mem.upload(dy), dw, db, 0, workspace, WORKSPACE, 0);
            assertClose(expectedDw, DeviceArrays.download(dw, out * in), 1e-4, "dW");
            assertClose(expectedDb, DeviceArrays.download(db, out), 1e-4, "db (BGRADB)");
        }
    }

    @Test
    @SuppressWarnings("try")  // closing the plan inside its try is the point: close must be idempotent
    void thePlanRefusesBadPointersAndUseAfterClose() {
        LtMatmulSpec spec = LtMatmulSpec.linearForward(8, 8, 8, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.BIAS).withAlignment(16);
        try (DeviceArrays mem = new DeviceArrays(); LtMatmulPlan plan = LtMatmulPlan.create(lt, spec, WORKSPACE)) {
            long p = mem.zeros(64), workspace = mem.alloc(WORKSPACE);
            assertThrows(IllegalArgumentException.class, () -> plan.run(p, p, p, 0, 0, workspace, WORKSPACE, 0));
            assertThrows(IllegalArgumentException.class, () -> plan.run(p + 4, p, p, p, 0, workspace, WORKSPACE, 0));
            plan.close();
            plan.close();
            assertThrows(IllegalStateException.class, () -> plan.run(p, p, p, p, 0, workspace, WORKSPACE, 0));
        }
    }
}
