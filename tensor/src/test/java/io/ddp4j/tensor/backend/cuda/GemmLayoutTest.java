package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The transposes and leading dims handed to cublasGemmStridedBatchedEx: a plan is run through a
 * host emulation of column-major GEMM over the operands' raw storage and compared with the CPU
 * backend's matmul of the same views.
 */
class GemmLayoutTest {

    @Test
    void layoutsOfCommonViews() {
        assertEquals(new GemmLayout(GemmLayout.Kind.ROW, 5), GemmLayout.of(3, 5, 5, 1));   // dense row-major
        assertEquals(new GemmLayout(GemmLayout.Kind.COL, 3), GemmLayout.of(3, 5, 1, 3));   // a transposed view
        assertEquals(new GemmLayout(GemmLayout.Kind.ROW, 8), GemmLayout.of(3, 5, 8, 1));   // padded rows (a narrowed view)
        assertEquals(new GemmLayout(GemmLayout.Kind.ROW, 5), GemmLayout.of(1, 5, 0, 1));   // one row, any row stride
        assertNull(GemmLayout.of(3, 5, 10, 2));                                            // every other column: copy first
        assertNull(GemmLayout.of(3, 5, 0, 1));                                             // broadcast rows: copy first
    }

    /** Emulates the plan for out = a x b with a [B, M, K] and b [B, K, N] views of dense bases. */
    private static void check(Tensor aBase, Tensor a, Tensor bBase, Tensor b) {
        Tensor expected = a.matmul(b);
        int batch = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
        long[] as = a.strides(), bs = b.strides();
        GemmLayout la = GemmLayout.of(m, k, as[1], as[2]), lb = GemmLayout.of(k, n, bs[1], bs[2]);
        assertNotNull(la, "a " + a.describe());
        assertNotNull(lb, "b " + b.describe());
        GemmLayout lo = GemmLayout.of(m, n, n, 1);
        GemmLayout.Plan plan = GemmLayout.plan(m, n, k, la, lb, lo);
        assertNotNull(plan);
        double[] c = new double[batch * m * n];
        GemmLayout.emulate(plan, batch, bBase.toDoubleArray(), b.offset(), batch == 1 ? 0 : bs[0],
                aBase.toDoubleArray(), a.offset(), batch == 1 ? 0 : as[0], c, 0, (long) m * n);
        assertArrayEquals(expected.toDoubleArray(), c, 1e-12, a.describe() + " x " + b.describe());
    }

    @Test
    void plansReproduceTheCpuMatmulForEveryLayout() {
        Generator g = new Generator(3);
        try (Scope s = Scope.open()) {
            Tensor a = Tensor.randn(g, DType.F64, 2, 3, 4), b = Tensor.randn(g, DType.F64, 2, 4, 5);
            check(a, a, b, b);                                                    // dense
            Tensor at = Tensor.randn(g, DType.F64, 2, 4, 3), bt = Tensor.randn(g, DType.F64, 2, 5, 4);
            check(at, at.transpose(1, 2), bt, bt.transpose(1, 2));                // both transposed
            check(a, a, bt, bt.transpose(1, 2));                                  // b transposed (x W^T)
            Tensor w = Tensor.randn(g, DType.F64, 1, 4, 5);
            check(a, a, w, w.expand(2, 4, 5));                                    // broadcast batch (stride 0)
            Tensor wide = Tensor.randn(g, DType.F64, 2, 3, 9);
            check(wide, wide.narrow(2, 2, 4), b, b);                              // padded rows, offset start
            Tensor row = Tensor.randn(g, DType.F64, 1, 1, 4);
            check(row, row, b, b.narrow(0, 1, 1));                  // m = 1
            Tensor col = Tensor.randn(g, DType.F64, 1, 4, 1);
            check(a, a.narrow(0, 1, 1), col, col);                  // n = 1
            Tensor ct = Tensor.randn(g, DType.F64, 2, 1, 3);
            Tensor k1 = Tensor.randn(g, DType.F64, 2, 1, 6);
            check(ct, ct.transpose(1, 2), k1, k1);                                // k = 1
        }
    }
}
