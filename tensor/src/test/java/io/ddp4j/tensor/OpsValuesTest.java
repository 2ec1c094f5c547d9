package io.ddp4j.tensor;

import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Elementwise, reductions, matmul and indexing against values worked out by hand. */
@ExtendWith(ScopePerTest.class)
class OpsValuesTest {
    private static Tensor f64(double[] v, int... shape) {
        return Tensor.fromArray(v, shape);
    }

    @Test
    void broadcastingArithmetic() {
        Tensor col = f64(new double[]{1, 2}, 2, 1), row = f64(new double[]{10, 20, 30}, 3);
        assertArrayEquals(new double[]{11, 21, 31, 12, 22, 32}, col.add(row).toDoubleArray());
        assertArrayEquals(new int[]{2, 3}, col.add(row).shape());
        assertArrayEquals(new double[]{-9, -19, -29, -8, -18, -28}, col.sub(row).toDoubleArray());
        assertArrayEquals(new double[]{10, 20, 30, 20, 40, 60}, col.mul(row).toDoubleArray());
        assertArrayEquals(new double[]{0.5, 1}, col.div(2).toDoubleArray());
        assertArrayEquals(new double[]{1, 4}, col.pow(2).toDoubleArray());
        assertArrayEquals(new double[]{1, 8}, col.pow(f64(new double[]{3}, 1)).toDoubleArray());
    }

    @Test
    void unaryFunctions() {
        Tensor x = f64(new double[]{-2, -0.5, 0, 1.5});
        assertArrayEquals(new double[]{0, 0, 0, 1.5}, x.relu().toDoubleArray());
        assertArrayEquals(new double[]{2, 0.5, 0, 1.5}, x.abs().toDoubleArray());
        assertArrayEquals(new double[]{-1, -0.5, 0, 1}, x.clamp(-1, 1).toDoubleArray());
        assertArrayEquals(new double[]{Math.exp(-2), Math.exp(-0.5), 1, Math.exp(1.5)}, x.exp().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[]{Math.tanh(-2), Math.tanh(-0.5), 0, Math.tanh(1.5)}, x.tanh().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[]{1 / (1 + Math.exp(2)), 1 / (1 + Math.exp(0.5)), 0.5, 1 / (1 + Math.exp(-1.5))},
                x.sigmoid().toDoubleArray(), 1e-15);
        assertArrayEquals(new double[]{2, 3}, f64(new double[]{4, 9}).sqrt().toDoubleArray());
        assertArrayEquals(new double[]{0, 1}, f64(new double[]{1, Math.E}).log().toDoubleArray(), 1e-15);
    }

    @Test
    void geluIsTheExactErfForm() {
        // x * Phi(x), Phi from standard normal tables (scipy.stats.norm.cdf)
        Tensor x = f64(new double[]{1, -1, -3.5, 4.5, 0});
        double[] phi = {0.8413447460685429, 0.15865525393145707, 2.326290790355401e-4, 0.9999966023268753, 0.5};
        double[] expected = new double[5];
        double[] xs = {1, -1, -3.5, 4.5, 0};
        for (int i = 0; i < 5; i++) expected[i] = xs[i] * phi[i];
        assertArrayEquals(expected, x.gelu().toDoubleArray(), 1e-14);
    }

    @Test
    void comparisonsGiveBoolAndWhereSelects() {
        Tensor a = f64(new double[]{1, 2, 3}), b = f64(new double[]{3, 2, 1});
        assertEquals(DType.BOOL, a.lt(b).dtype());
        assertArrayEquals(new boolean[]{true, false, false}, a.lt(b).toBooleanArray());
        assertArrayEquals(new boolean[]{true, true, false}, a.le(b).toBooleanArray());
        assertArrayEquals(new boolean[]{false, true, false}, a.eq(b).toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, true}, a.gt(b).toBooleanArray());
        assertArrayEquals(new boolean[]{false, true, true}, a.ge(2).toBooleanArray());
        assertArrayEquals(new double[]{3, 2, 3}, Tensor.where(a.ge(b), a, b).toDoubleArray());
        assertArrayEquals(new double[]{1, 2, 0}, Tensor.where(a.lt(3), a, Tensor.zeros(DType.F64)).toDoubleArray());
    }

    @Test
    void reductionsOverDims() {
        Tensor x = f64(new double[]{1, 5, 3, 4, 2, 6}, 2, 3);
        assertEquals(21, x.sum().item());
        assertArrayEquals(new double[]{5, 7, 9}, x.sum(0, false).toDoubleArray());
        assertArrayEquals(new int[]{2, 1}, x.sum(1, true).shape());
        assertArrayEquals(new double[]{9, 12}, x.sum(-1, true).toDoubleArray());
        assertArrayEquals(new double[]{3, 4}, x.mean(1, false).toDoubleArray());
        assertArrayEquals(new double[]{5, 6}, x.max(1, false).toDoubleArray());
        assertEquals(6, x.max().item());
        assertArrayEquals(new long[]{1, 2}, x.argmax(1, false).toLongArray());
        assertArrayEquals(new long[]{0}, f64(new double[]{7, 7, 1}).argmax(0, true).toLongArray(), "the first of tied maxima");
        assertEquals(5.0 / 3, f64(new double[]{1, 2, 3, 4}).var(null, false).item(), 1e-15, "Bessel's correction by default");
        assertEquals(1.25, f64(new double[]{1, 2, 3, 4}).var(null, 0, false).item(), 1e-15);
        assertEquals(DType.I64, Tensor.arange(4).sum().dtype());
        assertEquals(6, Tensor.arange(4).sum().item());
    }

    @Test
    void matmulShapesAndValues() {
        Tensor a = f64(new double[]{1, 2, 3, 4}, 2, 2), b = f64(new double[]{5, 6, 7, 8}, 2, 2);
        assertArrayEquals(new double[]{19, 22, 43, 50}, a.matmul(b).toDoubleArray());
        assertArrayEquals(new double[]{17, 39}, a.matmul(f64(new double[]{5, 6})).toDoubleArray());
        assertArrayEquals(new double[]{23, 34}, f64(new double[]{5, 6}).matmul(a).toDoubleArray());
        assertEquals(11, f64(new double[]{1, 2}).matmul(f64(new double[]{3, 4})).item());
        Tensor batch = Functional.stack(List.of(a, b), 0);
        Tensor out = batch.matmul(a);
        assertArrayEquals(new int[]{2, 2, 2}, out.shape());
        assertArrayEquals(new double[]{7, 10, 15, 22, 23, 34, 31, 46}, out.toDoubleArray());
        assertArrayEquals(new double[]{26, 30, 38, 44}, a.t().matmul(b).toDoubleArray(), "a transposed operand needs no copy");
    }

    @Test
    void parallelMatmulSumsInAFixedOrder() {
        Generator gen = new Generator(5);
        Tensor a = Tensor.randn(gen, 64, 300), b = Tensor.randn(gen, 300, 50);
        float[] x = a.toFloatArray(), y = b.toFloatArray(), got = a.matmul(b).toFloatArray();
        // the reference: a double sum over k in order, rounded to float once
        for (int i = 0; i < 64; i++)
            for (int j = 0; j < 50; j++) {
                double s = 0;
                for (int k = 0; k < 300; k++) s += (double) x[i * 300 + k] * y[k * 50 + j];
                assertEquals((float) s, got[i * 50 + j], 0, "element (" + i + ", " + j + ")");
            }
        assertArrayEquals(got, a.matmul(b).toFloatArray(), "bit-identical on every run");
    }

    @Test
    void linearUsesPytorchsWeightLayout() {
        Tensor x = f64(new double[]{1, 2}, 1, 2);
        Tensor w = f64(new double[]{1, 0, 0, 1, 1, 1}, 3, 2); // [out=3, in=2]
        Tensor b = f64(new double[]{0.5, 0, -1}, 3);
        assertArrayEquals(new double[]{1.5, 2, 2}, Functional.linear(x, w, b).toDoubleArray());
    }

    @Test
    void catStackIndexSelectEmbedding() {
        Tensor a = f64(new double[]{1, 2, 3, 4}, 2, 2), b = f64(new double[]{5, 6}, 2, 1);
        assertArrayEquals(new double[]{1, 2, 5, 3, 4, 6}, Functional.cat(List.of(a, b), 1).toDoubleArray());
        assertArrayEquals(new double[]{1, 2, 3, 4, 1, 2, 3, 4}, Functional.cat(List.of(a, a), 0).toDoubleArray());
        Tensor s = Functional.stack(List.of(a, a.mul(10)), 2);
        assertArrayEquals(new int[]{2, 2, 2}, s.shape());
        assertArrayEquals(new double[]{1, 10, 2, 20, 3, 30, 4, 40}, s.toDoubleArray());
        Tensor idx = Tensor.fromArray(new long[]{1, 1, 0});
        assertArrayEquals(new double[]{3, 4, 3, 4, 1, 2}, Functional.indexSelect(a, 0, idx).toDoubleArray());
        assertArrayEquals(new double[]{2, 2, 1, 4, 4, 3}, Functional.indexSelect(a, 1, idx).toDoubleArray());
        Tensor weight = f64(new double[]{0, 0, 1, 1, 2, 2}, 3, 2);
        Tensor e = Functional.embedding(Tensor.fromArray(new long[]{2, 0, 1, 2}, 2, 2), weight);
        assertArrayEquals(new int[]{2, 2, 2}, e.shape());
        assertArrayEquals(new double[]{2, 2, 0, 0, 1, 1, 2, 2}, e.toDoubleArray());
    }

    @Test
    void inPlaceUpdatesWriteIntoTheTensor() {
        Tensor p = f64(new double[]{1, 2, 3});
        Tensor g = f64(new double[]{10, 10, 10});
        p.addInPlace(g, -0.1);
        assertArrayEquals(new double[]{0, 1, 2}, p.toDoubleArray(), 1e-15);
        p.mulInPlace(2).addInPlace(Tensor.ones(DType.F64));
        assertArrayEquals(new double[]{1, 3, 5}, p.toDoubleArray(), 1e-15);
        p.copyFrom(Tensor.fromArray(new float[]{7}));
        assertArrayEquals(new double[]{7, 7, 7}, p.toDoubleArray(), "copyFrom broadcasts and converts");
        p.zeroInPlace();
        assertArrayEquals(new double[3], p.toDoubleArray());
    }
}
