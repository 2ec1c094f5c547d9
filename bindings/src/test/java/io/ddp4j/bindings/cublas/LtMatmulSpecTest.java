package io.ddp4j.bindings.cublas;

import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_COMPUTE_32F;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_N;
import static io.ddp4j.bindings.cublas.Cublas.CUBLAS_OP_T;
import static io.ddp4j.bindings.cublas.CudaDataType.CUDA_R_32F;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The row-major to column-major mapping of the nn.Linear specs, checked by running each spec
 * through the column-major reference and comparing with the row-major formula written directly.
 */
class LtMatmulSpecTest {
    private static final int BATCH = 5, IN = 7, OUT = 3;
    private final Random rnd = new Random(42);

    private static float[] rowMajorLinear(float[] x, float[] w, float[] b, boolean relu) {
        float[] y = new float[BATCH * OUT];
        for (int r = 0; r < BATCH; r++) {
            for (int o = 0; o < OUT; o++) {
                double s = b[o];
                for (int i = 0; i < IN; i++) s += (double) x[r * IN + i] * w[o * IN + i];
                y[r * OUT + o] = relu ? (float) Math.max(s, 0) : (float) s;
            }
        }
        return y;
    }

    @Test
    void forwardIsXTimesWTransposedPlusBiasThenRelu() {
        float[] x = GemmReference.random(rnd, BATCH * IN), w = GemmReference.random(rnd, OUT * IN), b = GemmReference.random(rnd, OUT);
        LtMatmulSpec spec = LtMatmulSpec.linearForward(BATCH, IN, OUT, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.RELU_BIAS);
        assertEquals(CUBLAS_OP_T, spec.transa());
        assertEquals(CUBLAS_OP_N, spec.transb());
        assertEquals(OUT, spec.biasLength());
        float[] y = GemmReference.forward(spec, w, x, b);
        assertArrayEquals(rowMajorLinear(x, w, b, true), y, 1e-5f);
        assertTrue(java.util.stream.IntStream.range(0, y.length).anyMatch(i -> y[i] == 0f), "ReLU should clip something");
    }

    @Test
    void weightGradientIsDyTransposedTimesXAndBiasGradientIsBatchSum() {
        float[] x = GemmReference.random(rnd, BATCH * IN), dy = GemmReference.random(rnd, BATCH * OUT);
        LtMatmulSpec spec = LtMatmulSpec.linearWeightGrad(BATCH, IN, OUT, CUDA_R_32F, CUBLAS_COMPUTE_32F, true);
        assertEquals(LtEpilogue.BGRADB, spec.epilogue());
        assertEquals(OUT, spec.biasLength());

        float[] dw = GemmReference.forward(spec, x, dy, null);
        float[] expected = new float[OUT * IN];
        float[] db = new float[OUT];
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) {
                double s = 0;
                for (int r = 0; r < BATCH; r++) s += (double) dy[r * OUT + o] * x[r * IN + i];
                expected[o * IN + i] = (float) s;
            }
            for (int r = 0; r < BATCH; r++) db[o] += dy[r * OUT + o];
        }
        assertArrayEquals(expected, dw, 1e-5f);
        assertArrayEquals(db, GemmReference.columnSumsOfOpB(spec, dy), 1e-5f);
    }

    @Test
    void inputGradientIsDyTimesW() {
        float[] w = GemmReference.random(rnd, OUT * IN), dy = GemmReference.random(rnd, BATCH * OUT);
        LtMatmulSpec spec = LtMatmulSpec.linearInputGrad(BATCH, IN, OUT, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.DEFAULT);
        float[] dx = GemmReference.forward(spec, w, dy, null);
        float[] expected = new float[BATCH * IN];
        for (int r = 0; r < BATCH; r++) {
            for (int i = 0; i < IN; i++) {
                double s = 0;
                for (int o = 0; o < OUT; o++) s += (double) dy[r * OUT + o] * w[o * IN + i];
                expected[r * IN + i] = (float) s;
            }
        }
        assertArrayEquals(expected, dx, 1e-5f);
    }

    @Test
    void auxLeadingDimensionsOfForwardAndBackwardAgree() {
        LtMatmulSpec fwd = LtMatmulSpec.linearForward(64, 300, 130, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.RELU_AUX_BIAS);
        assertEquals(256, fwd.auxLd());
        assertEquals(256L * 64 / 8, fwd.auxBytes());
        // the next layer takes fwd's 130 outputs as its input
        LtMatmulSpec bwd = LtMatmulSpec.linearInputGrad(64, 130, 10, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.DRELU_BGRAD);
        assertEquals(fwd.auxLd(), bwd.auxLd());
        assertEquals(130, bwd.biasLength());
        LtMatmulSpec gelu = LtMatmulSpec.linearForward(64, 300, 130, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.GELU_AUX_BIAS);
        assertEquals(136, gelu.auxLd());
        assertEquals(136L * 64 * 4, gelu.auxBytes());
    }

    @Test
    void badSpecsAreRefusedWithTheValueInTheMessage() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, 8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 7, 2, 8, LtEpilogue.DEFAULT, 0, 4));
        assertTrue(e.getMessage().contains("lda 7") && e.getMessage().contains("8 rows"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(5, CUBLAS_OP_N, 8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 8, 2, 8, LtEpilogue.DEFAULT, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, -8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 8, 2, 8, LtEpilogue.DEFAULT, 0, 4));
        var compute = assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, 8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, Cublas.CUBLAS_COMPUTE_64F, 8, 2, 8, LtEpilogue.DEFAULT, 0, 4));
        assertTrue(compute.getMessage().contains("70"), compute.getMessage());
        var aux = assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, 8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 8, 2, 8, LtEpilogue.RELU_AUX, 64, 4));
        assertTrue(aux.getMessage().contains("multiple of 128"), aux.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LtMatmulSpec(CUBLAS_OP_N, CUBLAS_OP_N, 8, 4, 2,
                CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, 8, 2, 8, LtEpilogue.BIAS, 128, 4));
        assertThrows(IllegalArgumentException.class, () -> LtMatmulSpec.linearForward(2, 2, 2, CUDA_R_32F, CUBLAS_COMPUTE_32F,
                LtEpilogue.DEFAULT).withAlignment(12));
        assertThrows(IllegalArgumentException.class, () -> LtMatmulSpec.linearInputGrad(2, 2, 2, CUDA_R_32F, CUBLAS_COMPUTE_32F,
                LtEpilogue.RELU_BIAS));
    }

    @Test
    void planRefusesNullMisalignedAndMissingPointersBeforeTheLibrarySeesThem() {
        LtMatmulSpec spec = LtMatmulSpec.linearForward(4, 8, 8, CUDA_R_32F, CUBLAS_COMPUTE_32F, LtEpilogue.BIAS).withAlignment(16);
        long ok = 0x7000_0000L;
        LtMatmulPlan.checkPointers(spec, 1024, ok, ok, ok, ok, ok, 0, ok, 1024);
        var nul = assertThrows(IllegalArgumentException.class, () -> LtMatmulPlan.checkPointers(spec, 0, ok, ok, ok, ok, 0, 0, 0, 0));
        assertTrue(nul.getMessage().startsWith("bias is a null pointer"), nul.getMessage());
        var misaligned = assertThrows(IllegalArgumentException.class,
                () -> LtMatmulPlan.checkPointers(spec, 0, ok + 4, ok, ok, ok, ok, 0, 0, 0));
        assertTrue(misaligned.getMessage().contains("0x70000004") && misaligned.getMessage().contains("16 bytes"), misaligned.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LtMatmulPlan.checkPointers(spec, 0, ok, ok, ok, ok, ok, ok, 0, 0));
        var workspace = assertThrows(IllegalArgumentException.class, () -> LtMatmulPlan.checkPointers(spec, 4096, ok, ok, ok, ok, ok, 0, ok, 1024));
        assertTrue(workspace.getMessage().contains("4096"), workspace.getMessage());
    }
}
