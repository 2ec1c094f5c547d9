package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.RoundingMode;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.ReduceOp;
import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.ops.Creation;
import io.ddp4j.tensor.ops.Elementwise;
import io.ddp4j.tensor.ops.Indexing;
import io.ddp4j.tensor.memory.cuda.AllocatorStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every op of the CUDA backend against the CPU reference, on random inputs, views and odd sizes. */
@Tag("gpu")
class CudaBackendGpuTest {
    private static final Device CUDA = Device.cuda(0);
    private Scope scope;
    private Generator gen;

    @BeforeEach
    void open() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        scope = Scope.open();
        gen = new Generator(1234);
    }

    @AfterEach
    void close() {
        if (scope != null) scope.close();
    }

    private static CudaBackend cuda() {
        return (CudaBackend) Backends.forDevice(CUDA);
    }

    private Tensor randn(DType t, int... shape) {
        return Tensor.randn(gen, t, shape);
    }

    /** Relative-and-absolute closeness, NaN matching NaN and infinities matching exactly. */
    static void assertClose(double[] expected, double[] actual, double rtol, double atol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (Double.isInfinite(e) && e == a) continue;
            if (!(Math.abs(e - a) <= atol + rtol * Math.abs(e)))
                fail(what + ": element " + i + " is " + a + " on cuda, " + e + " on cpu");
        }
    }

    static double tolerance(DType t) {
        return switch (t) {
            case F32 -> 2e-6;
            case F16 -> 2e-3;
            case BF16 -> 1.6e-2;
            default -> 1e-12;
        };
    }

    /** f on CPU inputs and on their copies on cuda give the same values. */
    /** f's result on the CPU inputs and on their copies on the device: [expected, actual], with the same dtype and shape. */
    private static Tensor[] onBoth(String what, Function<Tensor[], Tensor> f, Tensor... cpu) {
        Tensor expected = f.apply(cpu);
        Tensor[] gpu = new Tensor[cpu.length];
        for (int i = 0; i < cpu.length; i++) gpu[i] = cpu[i].to(CUDA);
        Tensor actual = f.apply(gpu);
        assertEquals(CUDA, actual.device(), what);
        assertEquals(expected.dtype(), actual.dtype(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        return new Tensor[]{expected, actual};
    }

    private void same(String what, double rtol, double atol, Function<Tensor[], Tensor> f, Tensor... cpu) {
        Tensor[] r = onBoth(what, f, cpu);
        assertClose(r[0].toDoubleArray(), r[1].toDoubleArray(), rtol, atol, what);
    }

    @Test
    void transfersRoundTripEveryDtypeBitForBit() {
        for (DType t : DType.values()) {
            Tensor x = randn(DType.F64, 37, 5).mul(50).to(t);
            Tensor back = x.to(CUDA).to(Device.CPU);
            assertArrayEquals(x.toDoubleArray(), back.toDoubleArray(), 0, t.toString());
            // a non-contiguous view going down and up
            Tensor v = x.t().narrow(0, 1, 3);
            assertArrayEquals(v.toDoubleArray(), v.contiguous().to(CUDA).t().t().to(Device.CPU).toDoubleArray(), 0, t + " view");
            assertArrayEquals(v.toDoubleArray(), x.to(CUDA).t().narrow(0, 1, 3).toDoubleArray(), 0, t + " device view read back");
        }
    }

    @Test
    void fillAndCastsMatchTheCpuExactly() {
        for (DType t : DType.values()) {
            for (double v : new double[]{0, 1, -3.7, 1e10, Double.NaN, 300.5}) {
                if (!t.isFloatingPoint() && Double.isNaN(v)) continue;
                assertArrayEquals(Tensor.full(v, t, Device.CPU, 3, 7).toDoubleArray(), Tensor.full(v, t, CUDA, 3, 7).toDoubleArray(), 0, t + " fill " + v);
            }
        }
        Tensor src = randn(DType.F64, 9, 13).mul(200);
        for (DType from : DType.values())
            for (DType to : DType.values())
                same(from + " -> " + to, 0, 0, x -> x[0].to(from).t().to(to), src);
    }

    @Test
    void unaryOpsMatchOnViewsInEveryFloatDtype() {
        Backend cpu = Backends.forDevice(Device.CPU), gpu = cuda();
        for (DType t : new DType[]{DType.F32, DType.F64, DType.F16, DType.BF16}) {
            Tensor x = randn(DType.F64, 31, 17).mul(3).to(t);
            for (UnaryOp op : UnaryOp.values()) {
                Tensor in = op == UnaryOp.LOG || op == UnaryOp.SQRT ? x.abs().add(0.01) : x;
                Tensor view = in.t();
                Tensor ec = Tensor.empty(t, Device.CPU, view.shape()), eg = Tensor.empty(t, CUDA, view.shape());
                Tensor vg = in.to(CUDA).t();
                cpu.unary(op, view.data("test"), ec.data("test"));
                gpu.unary(op, vg.data("test"), eg.data("test"));
                double tol = tolerance(t) * 4;
                assertClose(ec.toDoubleArray(), eg.toDoubleArray(), tol, tol, t + " " + op);
            }
        }
    }

    @Test
    void binaryOpsBroadcastOverViews() {
        for (DType t : new DType[]{DType.F32, DType.F64, DType.F16, DType.BF16}) {
            Tensor a = randn(DType.F64, 3, 1, 5).to(t), b = randn(DType.F64, 5, 4).to(t);
            double tol = tolerance(t) * 4;
            same(t + " add", tol, tol, x -> x[0].add(x[1].t()), a, b);
            same(t + " sub", tol, tol, x -> x[0].sub(x[1].t()), a, b);
            same(t + " mul", tol, tol, x -> x[0].mul(x[1].t()), a, b);
            same(t + " div", tol, tol, x -> x[0].div(x[1].t().abs().add(0.5)), a, b);
            same(t + " pow", tol, tol, x -> x[0].abs().add(0.1).pow(x[1].t()), a, b);
            same(t + " maximum", 0, 0, x -> x[0].maximum(x[1].t()), a, b);
            same(t + " minimum", 0, 0, x -> x[0].minimum(x[1].t()), a, b);
            for (BinaryOp op : new BinaryOp[]{BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.GT, BinaryOp.LE, BinaryOp.GE})
                same(t + " " + op, 0, 0, x -> compare(op, x[0], x[1].t()), a, b.narrow(1, 0, 1).expand(5, 4).contiguous());
            same(t + " logical and, or, xor, not", 0, 0, x -> x[0].gt(0).logicalAnd(x[1].t()).logicalOr(x[0].logicalXor(x[1].t().lt(0))).logicalNot(), a, b);
            same(t + " where", 0, 0, x -> Tensor.where(x[0].gt(0), x[0], x[1].t()), a, b);
            same(t + " scalar", tol, tol, x -> x[0].mul(2.5).sub(1).div(3), a);
        }
        Tensor i = Tensor.arange(-20, 20, 1, DType.I32).reshape(8, 5), j = Tensor.arange(1, 6, 1, DType.I32);
        same("int div is true division in float32", 0, 0, x -> x[0].div(x[1]), i, j);
        // mixed dtypes: the promoted casts run on the device (TypePromotion)
        Tensor h = randn(DType.F64, 3, 5).to(DType.BF16), f = randn(DType.F64, 5);
        same("bf16 + f32", 1e-6, 1e-6, x -> x[0].add(x[1]), h, f.to(DType.F32));
        same("i32 * f16", 0, 0, x -> x[0].mul(x[1]), i, Tensor.full(0.5, DType.F16, Device.CPU, 5));
        same("i32 * 0.5", 0, 0, x -> x[0].mul(0.5), i);
        same("i32 < 1.5", 0, 0, x -> x[0].lt(1.5), i);
        same("exp(i32)", 1e-6, 1e-6, x -> x[0].div(10).exp(), i);
        same("int pow", 0, 0, x -> x[0].pow(x[1]), i, j);
        same("int add i64", 0, 0, x -> x[0].to(DType.I64).add(x[1].to(DType.I64)), i, j);
    }

    @Test
    void roundingDivisionsMatchTheCpuExactly() {
        for (DType t : new DType[]{DType.F32, DType.F64, DType.F16, DType.BF16}) {
            Tensor a = randn(DType.F64, 3, 1, 5).mul(10).to(t), b = randn(DType.F64, 5, 4).mul(3).to(t);
            same(t + " div trunc", 0, 0, x -> x[0].div(x[1].t(), RoundingMode.TRUNC), a, b);
            same(t + " div floor", 0, 0, x -> x[0].div(x[1].t(), RoundingMode.FLOOR), a, b);
            same(t + " remainder", 0, 0, x -> x[0].remainder(x[1].t()), a, b);
            same(t + " fmod", 0, 0, x -> x[0].fmod(x[1].t()), a, b);
            same(t + " by scalars", 0, 0, x -> x[0].div(-0.3, RoundingMode.FLOOR).add(x[0].remainder(0.7)), a);
            same(t + " with float scalars (float32 for 16-bit tensors)", 0, 0, x -> x[0].mul(0.1).sub(0.3).div(3.0).div(0.7, RoundingMode.TRUNC), a);
        }
        // RoundingDivisionTest's PyTorch table: quotients that round to an integer, zero divisors, signed zeros
        Tensor p = Tensor.fromArray(new double[]{1.0, -1.0, 7.5, -7.5, 5.0, -5.0, 0.0, 1e-30}, 8);
        Tensor q = Tensor.fromArray(new double[]{0.1, 0.1, -2.0, 2.0, 0.0, 0.0, -3.0, 1e30}, 8);
        for (DType t : new DType[]{DType.F32, DType.F64, DType.BF16}) {
            for (RoundingMode mode : RoundingMode.values())
                same(t + " table div " + mode, 0, 0, x -> x[0].div(x[1], mode), p.to(t), q.to(t));
            same(t + " table remainder", 0, 0, x -> x[0].remainder(x[1]), p.to(t), q.to(t));
            same(t + " table fmod", 0, 0, x -> x[0].fmod(x[1]), p.to(t), q.to(t));
        }
        // integers divide exactly on the device too
        Tensor i = Tensor.arange(-20, 20, 1, DType.I64).reshape(8, 5), j = Tensor.fromArray(new long[]{3, -2, 7, -1, 1}, 5);
        for (DType t : new DType[]{DType.I32, DType.I64}) {
            for (RoundingMode mode : RoundingMode.values())
                same(t + " int div " + mode, 0, 0, x -> x[0].div(x[1], mode), i.to(t), j.to(t));
            same(t + " int remainder", 0, 0, x -> x[0].remainder(x[1]), i.to(t), j.to(t));
            same(t + " int fmod", 0, 0, x -> x[0].fmod(x[1]), i.to(t), j.to(t));
        }
        same("u8 floor", 0, 0, x -> x[0].div(x[1], RoundingMode.FLOOR), i.abs().to(DType.U8), j.abs().to(DType.U8));
        Tensor min = Tensor.fromArray(new long[]{Long.MIN_VALUE}, 1);
        assertArrayEquals(new long[]{Long.MIN_VALUE}, min.to(CUDA).div(-1L, RoundingMode.TRUNC).toLongArray(), "wraps, no trap");
    }

    /** f on the CPU and on the device give the same values: integers as longs, floats bit for bit. */
    private void sameExactly(String what, Function<Tensor[], Tensor> f, Tensor... cpu) {
        Tensor[] r = onBoth(what, f, cpu);
        Tensor expected = r[0], actual = r[1];
        if (expected.dtype().isFloatingPoint())
            assertArrayEquals(java.util.Arrays.stream(expected.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray(),
                    java.util.Arrays.stream(actual.toDoubleArray()).mapToLong(Double::doubleToRawLongBits).toArray(), what);
        else assertArrayEquals(expected.toLongArray(), actual.toLongArray(), what);
    }

    @Test
    void integerLaneMatchesTheCpuExactly() {
        long twoTo53 = 1L << 53, twoTo62 = 1L << 62;
        Tensor a = Tensor.fromArray(new long[]{twoTo62 + 1, Long.MIN_VALUE, twoTo53 + 1, Long.MAX_VALUE, -5}, 5, 1);
        Tensor b = Tensor.fromArray(new long[]{twoTo62 + 3, -1, twoTo53, 2, 3, -7}, 1, 6);
        for (DType t : new DType[]{DType.I64, DType.I32, DType.U8}) {
            Tensor x = a.to(t), y = b.to(t); // the casts wrap on the CPU; the device must agree on everything after
            sameExactly(t + " add", v -> v[0].add(v[1]), x, y);
            sameExactly(t + " sub", v -> v[0].sub(v[1]), x, y);
            sameExactly(t + " mul", v -> v[0].mul(v[1]), x, y);
            sameExactly(t + " maximum", v -> v[0].maximum(v[1]), x, y);
            sameExactly(t + " minimum", v -> v[0].minimum(v[1]), x, y);
            for (BinaryOp op : new BinaryOp[]{BinaryOp.EQ, BinaryOp.NE, BinaryOp.LT, BinaryOp.GT, BinaryOp.LE, BinaryOp.GE})
                sameExactly(t + " " + op, v -> compare(op, v[0], v[1]), x, y);
            sameExactly(t + " div floor", v -> v[0].div(v[1].remainder(50L).add(1L), RoundingMode.FLOOR), x, y);
            sameExactly(t + " remainder", v -> v[0].remainder(v[1].remainder(50L).add(1L)), x, y);
            sameExactly(t + " pow", v -> v[0].pow(v[1].remainder(70L)), x, y);
            sameExactly(t + " neg, abs, relu, sign", v -> Elementwise.unary(UnaryOp.SIGN, v[0]).add(v[0].neg()).add(v[0].abs()).add(v[0].relu()), x);
            sameExactly(t + " sum", v -> v[0].mul(v[1]).sum(), x, y);
            sameExactly(t + " max over a dim", v -> v[0].add(v[1]).max(1, false), x, y);
            sameExactly(t + " argmax", v -> v[0].add(v[1]).argmax(0, false), x, y);
            sameExactly(t + " scalars", v -> v[0].add(twoTo53 + 1).mul(3L).sub(v[0].eq(twoTo53 + 1).to(t)), x);
            sameExactly(t + " where", v -> Tensor.where(v[0].gt(v[1]), v[0], v[1]), x, y);
        }
        Tensor flat = a.reshape(5);
        for (DType t : DType.values()) sameExactly("int64 to " + t, v -> v[0].to(t), flat);
        for (DType t : new DType[]{DType.I32, DType.U8, DType.BOOL}) sameExactly(t + " to int64", v -> v[0].to(t).to(DType.I64), flat);
        Tensor index = Tensor.fromArray(new long[]{2, 0, 2, 4, 2}, 5);
        sameExactly("index_select of int64", v -> Indexing.indexSelect(v[0], 0, v[1]), flat, index);
        sameExactly("index_add of int64", v -> Indexing.indexAddToZeros(new int[]{5}, 0, v[1], v[0]), flat, index);
        assertArrayEquals(new long[]{twoTo53 + 1, twoTo53 + 1}, Tensor.full(twoTo53 + 1, DType.I64, CUDA, 2).toLongArray(), "an exact integer fill");
        assertEquals(1.1529216420458004e+18, Tensor.full((1L << 60) + (1L << 36) + 1, DType.F32, CUDA, 1).item(), "one rounding into float32");
    }

    @Test
    void inPlaceOpsCastThePromotedResultOnTheDevice() {
        Tensor h = randn(DType.F64, 4, 4).to(DType.BF16), f = randn(DType.F64, 4, 4).to(DType.F32);
        same("bf16 += f32", 0, 0, x -> x[0].mul(1L).addInPlace(x[1]), h, f);
        same("bf16 += f32 * alpha", 0, 0, x -> x[0].mul(1L).addInPlace(x[1], 1.0 / 3), h, f);
        same("f32 *= bf16 (no temporary)", 0, 0, x -> x[0].mul(1L).mulInPlace(x[1].to(DType.F32)), f, h);
        same("f32 -= a CPU f64 scalar", 0, 0, x -> x[0].mul(1L).subInPlace(Tensor.scalar(0.25, DType.F64)), f);
        same("f32 += its own transpose", 0, 0, x -> { Tensor y = x[0].mul(1L); return y.addInPlace(y.t()); }, f);
        Tensor ints = Tensor.arange(-8, 8, 1, DType.I64).reshape(4, 4);
        same("i64 //= i32", 0, 0, x -> x[0].mul(1L).divInPlace(x[1], RoundingMode.FLOOR), ints, Tensor.full(3, DType.I32, Device.CPU, 4));
        same("i64 *= 3", 0, 0, x -> x[0].mul(1L).mulInPlace(3L), ints);
        Tensor onDevice = ints.to(CUDA);
        assertThrows(IllegalArgumentException.class, () -> onDevice.mulInPlace(2.5));
        assertArrayEquals(ints.toLongArray(), onDevice.toLongArray(), "a refused in-place op leaves the tensor alone");
    }

    private static Tensor compare(BinaryOp op, Tensor a, Tensor b) {
        return switch (op) {
            case EQ -> a.eq(b);
            case NE -> a.ne(b);
            case LT -> a.lt(b);
            case GT -> a.gt(b);
            case LE -> a.le(b);
            default -> a.ge(b);
        };
    }

    @Test
    void nanAndInfinityFollowTheCpu() {
        Tensor x = Tensor.fromArray(new double[]{Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1, -1}, 7);
        Tensor y = Tensor.fromArray(new double[]{1, Double.NaN, Double.POSITIVE_INFINITY, 0.0, -0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, 7);
        for (DType t : new DType[]{DType.F32, DType.F64}) {
            same(t + " pow", 0, 0, v -> v[0].pow(v[1]), x.to(t), y.to(t));
            same(t + " maximum", 0, 0, v -> v[0].maximum(v[1]), x.to(t), y.to(t));
            same(t + " minimum", 0, 0, v -> v[0].minimum(v[1]), y.to(t), x.to(t));
            // relu keeps NaN and -0, and its mask passes the gradient at NaN, as in PyTorch
            sameExactly(t + " relu", v -> v[0].relu(), x.to(t));
            // summed, so the gradient that reaches relu is 1 and its mask is what comes back
            sameWithGrads(t + " relu's gradient", 0, v -> v[0].relu().sum(), x.to(t));
            // abs's gradient is sign(x): 0 at NaN and at both zeros, as PyTorch's
            sameWithGrads(t + " abs's gradient", 0, v -> v[0].abs().sum(), x.to(t));
            // float kernels call expf, which is within 2 ulp, not correctly rounded: one ulp either way
            same(t + " sigmoid", t == DType.F32 ? 2.4e-7 : 1e-15, 0, v -> v[0].sigmoid(), x.to(t));
            same(t + " to int", 0, 0, v -> v[0].to(DType.I64), x.to(t));
        }
    }

    @Test
    void reductionsOverAnyDims() {
        Backend cpu = Backends.forDevice(Device.CPU), gpu = cuda();
        int[][] dimSets = {{0}, {1}, {2}, {0, 2}, {1, 2}, {0, 1, 2}, {}};
        for (DType t : new DType[]{DType.F32, DType.F64, DType.BF16, DType.F16, DType.I64}) {
            Tensor base = randn(DType.F64, 7, 300, 5).mul(4).to(t);
            Tensor view = base.permute(2, 0, 1);  // [5, 7, 300], non-contiguous
            Tensor viewGpu = base.to(CUDA).permute(2, 0, 1);
            for (int[] dims : dimSets) {
                int[] outShape = view.shape();
                for (int d : dims) outShape[d] = 1;
                for (ReduceOp op : ReduceOp.values()) {
                    Tensor ec = Tensor.empty(t, Device.CPU, outShape), eg = Tensor.empty(t, CUDA, outShape);
                    cpu.reduce(op, view.data("t"), dims, ec.data("t"));
                    gpu.reduce(op, viewGpu.data("t"), dims, eg.data("t"));
                    double tol = t == DType.F64 ? 1e-12 : tolerance(t);
                    assertClose(ec.toDoubleArray(), eg.toDoubleArray(), tol, tol, t + " " + op + " " + java.util.Arrays.toString(dims));
                }
            }
        }
        same("sum keepDim", 1e-5, 1e-5, x -> x[0].sum(1, true), randn(DType.F32, 33, 1025));
        same("mean all", 1e-5, 1e-6, x -> x[0].mean(), randn(DType.F32, 1000, 3));
        same("var", 1e-5, 1e-6, x -> x[0].var(new int[]{0}, false), randn(DType.F32, 100, 3));
    }

    @Test
    void argmaxTakesTheFirstMaximumAndNaNFirst() {
        double nan = Double.NaN;
        Tensor x = Tensor.fromArray(new double[]{1, 3, 3, 0, /**/ 2, nan, 5, nan, /**/ -1, -1, -1, -1}, 3, 4);
        same("ties and NaN", 0, 0, v -> v[0].argmax(1, false), x);
        same("dim 0 of a view", 0, 0, v -> v[0].t().argmax(0, true), randn(DType.F32, 513, 9));
        same("long rows", 0, 0, v -> v[0].argmax(1, false), randn(DType.BF16, 4, 5000));
    }

    @Test
    void matmulMatchesForLayoutsSizesAndDtypes() {
        int[][] sizes = {{1, 1, 1}, {33, 17, 29}, {64, 128, 32}, {5, 1, 7}, {1, 300, 1}};
        for (DType t : new DType[]{DType.F32, DType.F16, DType.BF16, DType.F64}) {
            double tol = t == DType.F32 ? 1e-4 : t == DType.F64 ? 1e-12 : 2e-2;
            for (int[] s : sizes) {
                int m = s[0], k = s[1], n = s[2];
                Tensor a = randn(DType.F64, m, k).to(t), b = randn(DType.F64, k, n).to(t);
                same(t + " plain " + m + "x" + k + "x" + n, tol, tol, x -> x[0].matmul(x[1]), a, b);
                same(t + " transposed", tol, tol, x -> x[1].t().matmul(x[0].t()), a, b);
                Tensor batched = randn(DType.F64, 3, m, k).to(t);
                same(t + " broadcast batch", tol, tol, x -> x[0].matmul(x[1]), batched, b);
                same(t + " batched transposed", tol, tol, x -> x[0].transpose(1, 2).transpose(1, 2).matmul(x[1].expand(3, k, n)), batched, b);
            }
            Tensor wide = randn(DType.F64, 6, 20).to(t);
            same(t + " narrowed views", tol, tol, x -> x[0].narrow(1, 0, 10).matmul(x[0].t().narrow(0, 3, 10)), wide);
            same(t + " every other column (copied for cuBLAS)", tol, tol,
                    x -> x[0].asStrided(new int[]{6, 10}, new long[]{20, 2}, 1).matmul(x[0].asStrided(new int[]{10, 3}, new long[]{2, 40}, 0)), wide);
        }
        same("int matmul", 0, 0, x -> x[0].matmul(x[1]), Tensor.arange(0, 12, 1, DType.I32).reshape(3, 4), Tensor.arange(-4, 4, 1, DType.I32).reshape(4, 2));
        Tensor x = randn(DType.F32, 4, 6, 10), w = randn(DType.F32, 3, 10), bias = randn(DType.F32, 3);
        same("linear", 1e-4, 1e-5, v -> Functional.linear(v[0], v[1], v[2]), x, w, bias);
        same("linear on a view", 1e-4, 1e-5, v -> Functional.linear(v[0].transpose(0, 1), v[1], v[2]), x, w, bias);
    }

    /** Forward value and the gradients of every input that requires grad, from a scalar loss. */
    static double[][] valueAndGrads(Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor t : inputs) if (t.dtype().isFloatingPoint()) t.setRequiresGrad(true);
        Tensor out = f.apply(inputs);
        Tensor loss = out.numel() == 1 ? out : out.mul(out).sum();
        loss.backward();
        double[][] r = new double[inputs.length + 1][];
        r[0] = out.toDoubleArray();
        for (int i = 0; i < inputs.length; i++) r[i + 1] = inputs[i].grad() == null ? new double[0] : inputs[i].grad().toDoubleArray();
        return r;
    }

    private void sameWithGrads(String what, double tol, Function<Tensor[], Tensor> f, Tensor... cpu) {
        Tensor[] c = new Tensor[cpu.length], g = new Tensor[cpu.length];
        for (int i = 0; i < cpu.length; i++) {
            c[i] = cpu[i].contiguous().to(Device.CPU);
            c[i] = c[i] == cpu[i] ? cpu[i].add(0).to(cpu[i].dtype()) : c[i];
            g[i] = cpu[i].to(CUDA);
        }
        double[][] e = valueAndGrads(f, c), a = valueAndGrads(f, g);
        for (int i = 0; i < e.length; i++) assertClose(e[i], a[i], tol, tol, what + (i == 0 ? " value" : " grad " + (i - 1)));
    }

    @Test
    void crossEntropyForwardAndBackward() {
        Tensor targets = Tensor.fromArray(new long[]{0, 9, 3, 3, 7, 1, 0}, 7);
        for (double s : new double[]{0, 0.1}) {
            sameWithGrads("cross_entropy s=" + s, 1e-5, x -> Functional.crossEntropy(x[0], x[1], s), randn(DType.F32, 7, 10).mul(3), targets);
            sameWithGrads("cross_entropy on a view s=" + s, 1e-5, x -> Functional.crossEntropy(x[0].t(), x[1], s), randn(DType.F32, 10, 7), targets);
        }
        Tensor wideTargets = Tensor.fromArray(new long[]{999, 0, 512}, 3);
        sameWithGrads("1000 classes", 1e-5, x -> Functional.crossEntropy(x[0], x[1], 0.05), randn(DType.F32, 3, 1000), wideTargets);
        sameWithGrads("bf16", 2e-2, x -> Functional.crossEntropy(x[0], x[1], 0), randn(DType.BF16, 7, 10), targets);
    }

    @Test
    void badIndicesSurfaceAtTheNextReadBack() {
        Tensor logits = randn(DType.F32, 2, 3).to(CUDA), targets = Tensor.fromArray(new long[]{1, 3}, 2).to(CUDA);
        Tensor loss = Functional.crossEntropy(logits, targets);
        var e = assertThrows(IndexOutOfBoundsException.class, loss::item);
        assertTrue(e.getMessage().contains("cross_entropy: target 3 at position 1 is out of range for 3 classes"), e.getMessage());
        // reported once: the next read works
        assertEquals(6, logits.toFloatArray().length);
        Tensor x = randn(DType.F32, 4, 2).to(CUDA);
        Tensor picked = Indexing.indexSelect(x, 0, Tensor.fromArray(new long[]{0, 4}, 2).to(CUDA));
        var e2 = assertThrows(IndexOutOfBoundsException.class, picked::toFloatArray);
        assertTrue(e2.getMessage().contains("index_select: index 4 at position 1"), e2.getMessage());
    }

    @Test
    void indexSelectAndIndexAdd() {
        Tensor index = Tensor.fromArray(new long[]{2, 0, 2, 4, 2}, 5);
        for (DType t : new DType[]{DType.F32, DType.F64, DType.BF16}) {
            double tol = tolerance(t) * 4;
            same(t + " index_select dim 0", 0, 0, x -> Indexing.indexSelect(x[0], 0, x[1]), randn(DType.F64, 5, 3).to(t), index);
            same(t + " index_select dim 1 of a view", 0, 0, x -> Indexing.indexSelect(x[0].t(), 1, x[1]), randn(DType.F64, 5, 3).to(t), index);
            same(t + " index_add repeated", tol, tol, x -> Indexing.indexAddToZeros(new int[]{3, 6, 2}, 1, x[1], x[0]), randn(DType.F64, 3, 5, 2).to(t), index);
        }
        sameWithGrads("embedding", 1e-6, x -> Indexing.embedding(x[1], x[0]), randn(DType.F32, 6, 4), Tensor.fromArray(new long[]{5, 0, 5, 2}, 2, 2));
    }

    @Test
    void poolingAndConvolutionForwardAndBackward() {
        Tensor x = randn(DType.F32, 2, 3, 9, 7);
        sameWithGrads("max_pool2d 3/2/1", 1e-6, v -> Functional.maxPool2d(v[0], 3, 2, 1), x);
        sameWithGrads("max_pool2d 2/2/0", 1e-6, v -> Functional.maxPool2d(v[0], 2, 2, 0), x);
        sameWithGrads("avg_pool2d 3/1/1", 1e-6, v -> Functional.avgPool2d(v[0], 3, 1, 1), x);
        Tensor w = randn(DType.F32, 4, 3, 3, 3), b = randn(DType.F32, 4);
        sameWithGrads("conv2d", 1e-4, v -> Functional.conv2d(v[0], v[1], v[2], 1, 1), x, w, b);
        sameWithGrads("conv2d stride 2 dilation 2", 1e-4, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(2, 2, 1, 2, 2, 2, 1)), x, w);
        Tensor wg = randn(DType.F32, 6, 1, 3, 3), xg = randn(DType.F32, 2, 3, 8, 8);
        sameWithGrads("conv2d groups", 1e-4, v -> Functional.conv2d(v[0], v[1], null, new Conv2dParams(1, 1, 1, 1, 1, 1, 3)), xg, wg);
    }

    /** |d loss / d x|^2 with the gradient's graph kept, so that backward differentiates twice. */
    private static Tensor inputGradientPenalty(Tensor loss, Tensor x) {
        return Autograd.gradWithGraph(loss, x)[0].pow(2.0).sum();
    }

    @Test
    void secondDerivativesOfTheKernelsMatchTheCpu() {
        // the double-backward rules run the same kernels (conv2d and its backward, the poolings' backward,
        // index_select/index_add, the fused cross entropy's differentiable twin) on the device
        Tensor x = randn(DType.F32, 2, 3, 8, 8), w = randn(DType.F32, 4, 3, 3, 3).mul(0.3), b = randn(DType.F32, 4);
        Tensor lw = randn(DType.F32, 5, 64).mul(0.2), targets = Tensor.fromArray(new long[]{4, 1}, 2);
        sameWithGrads("penalty through conv2d, max_pool2d, linear and cross entropy", 1e-4, v -> inputGradientPenalty(Functional.crossEntropy(
                Functional.linear(Functional.maxPool2d(Functional.conv2d(v[0], v[1], v[2], 1, 1).tanh(), 2, 2, 0).reshape(2, -1), v[3], null),
                v[4], 0.1), v[0]), x, w, b, lw, targets);
        sameWithGrads("penalty through grouped strided conv2d and avg_pool2d", 1e-4, v -> inputGradientPenalty(Functional.avgPool2d(
                Functional.conv2d(v[0], v[1], null, new Conv2dParams(2, 2, 1, 1, 1, 1, 3)).tanh(), 3, 1, 1).sum(), v[0]),
                randn(DType.F32, 2, 3, 9, 7), randn(DType.F32, 6, 1, 3, 3));
        sameWithGrads("penalty through embedding", 1e-5, v -> inputGradientPenalty(Indexing.embedding(v[1], v[0]).tanh().sum(), v[0]),
                randn(DType.F32, 6, 4), Tensor.fromArray(new long[]{5, 0, 5, 2}, 2, 2));
    }

    @Test
    void randomStreamsEqualTheCpuBitForBit() {
        for (DType t : new DType[]{DType.F32, DType.F64, DType.F16, DType.BF16}) {
            for (int n : new int[]{1, 3, 4, 1001, 100_003}) {
                Tensor uc = Creation.rand(new Generator(99), t, Device.CPU, n), ug = Creation.rand(new Generator(99), t, CUDA, n);
                assertArrayEquals(uc.toDoubleArray(), ug.toDoubleArray(), 0, t + " uniform " + n);
                Tensor nc = Creation.randn(new Generator(99), t, Device.CPU, n), ng = Creation.randn(new Generator(99), t, CUDA, n);
                // Box-Muller in double on both sides; CUDA's and Java's log/cos may differ in the last bit of a
                // double, which rounding to f32 (or narrower) hides: f64 normals are equal to 1e-15, the rest exactly
                if (t == DType.F64) assertClose(nc.toDoubleArray(), ng.toDoubleArray(), 1e-14, 1e-15, "f64 normal " + n);
                else assertArrayEquals(nc.toDoubleArray(), ng.toDoubleArray(), 0, t + " normal " + n);
            }
        }
        // consecutive draws continue the same counter on both devices
        Generator gc = new Generator(-5), gg = new Generator(-5);
        Creation.rand(gc, DType.F32, Device.CPU, 7);
        Creation.rand(gg, DType.F32, CUDA, 7);
        assertArrayEquals(Creation.randn(gc, DType.F32, Device.CPU, 5, 3).toFloatArray(), Creation.randn(gg, DType.F32, CUDA, 5, 3).toFloatArray());
    }

    @Test
    void opsEnqueueWithoutWaitingAndOnlyReadsWait() {
        Tensor a = randn(DType.F32, 64, 64).to(CUDA), b = randn(DType.F32, 64, 64).to(CUDA);
        // (the host emulator's GEMM is a plain loop: a smaller matrix keeps it busy as long)
        int side = CudaAvailability.isEmulator() ? 256 : 4096;
        Tensor big = Creation.randn(gen, DType.F32, CUDA, side, side);
        big.toFloatArray(); // the uploads and the generator are done; from here on only enqueued work
        long before = cuda().hostSyncCount();
        // tens of milliseconds of FP32 GEMMs on an H100 (20 x 137 GFLOP): still running when the host gets past them,
        // unless some op waited for the device (a wait the sync counter cannot see, too)
        Tensor heavy = big;
        for (int i = 0; i < 20; i++) heavy = heavy.matmul(big).mul(1e-2);
        assertFalse(cuda().computeStreamIdle(), "the GEMMs were finished when their enqueueing returned: an op waited");
        Tensor c = a.matmul(b).relu().add(a).sum(0, true).mul(2);
        Tensor d = Creation.randn(gen, DType.F32, CUDA, 1000).exp().mean();
        assertEquals(before, cuda().hostSyncCount(), "ops waited for the GPU");
        c.toFloatArray();
        assertEquals(before + 1, cuda().hostSyncCount());
        d.item();
        assertEquals(before + 2, cuda().hostSyncCount());
    }

    /** A two-layer MLP's loss and gradients, on whatever device its tensors are. */
    private static double[][] mlpStep(Tensor x, Tensor targets, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {
        Tensor h = Functional.linear(x, w1, b1).gelu();
        Tensor loss = Functional.crossEntropy(Functional.linear(h, w2, b2), targets, 0.1);
        loss.backward();
        return new double[][]{loss.toDoubleArray(), w1.grad().toDoubleArray(), b1.grad().toDoubleArray(), w2.grad().toDoubleArray(), b2.grad().toDoubleArray()};
    }

    private Tensor[] mlpParams(Device d) {
        Generator g = new Generator(7);
        Tensor[] p = {Creation.randn(g, DType.F32, d, 32, 20).mul(0.2), Creation.randn(g, DType.F32, d, 32).mul(0.1),
                Creation.randn(g, DType.F32, d, 10, 32).mul(0.2), Creation.randn(g, DType.F32, d, 10).mul(0.1)};
        for (int i = 0; i < p.length; i++) p[i] = p[i].keep().setRequiresGrad(true);
        return p;
    }

    @Test
    void mlpForwardAndBackwardMatchTheCpu() {
        Tensor x = randn(DType.F32, 16, 20), targets = Tensor.fromArray(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, 16);
        Tensor[] pc = mlpParams(Device.CPU), pg = mlpParams(CUDA);
        double[][] e = mlpStep(x, targets, pc[0], pc[1], pc[2], pc[3]);
        double[][] a = mlpStep(x.to(CUDA), targets.to(CUDA), pg[0], pg[1], pg[2], pg[3]);
        String[] names = {"loss", "w1.grad", "b1.grad", "w2.grad", "b2.grad"};
        for (int i = 0; i < e.length; i++) assertClose(e[i], a[i], 1e-4, 1e-6, "mlp " + names[i]);
    }

    @Test
    void aSteadyTrainingLoopMakesNoCudaMalloc() {
        Tensor x = randn(DType.F32, 16, 20).to(CUDA), targets = Tensor.fromArray(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5}, 16).to(CUDA);
        Tensor[] p = mlpParams(CUDA);
        AllocatorStats warm = null;
        long pinnedWarm = 0;
        for (int step = 0; step < 20; step++) {
            try (Scope s = Scope.open()) {
                for (Tensor t : p) t.setGrad(null);
                mlpStep(x, targets, p[0], p[1], p[2], p[3]);
                for (Tensor t : p) t.grad().close();
            }
            if (step == 4) {
                warm = cuda().allocatorStats();
                pinnedWarm = cuda().pinnedAllocations();
            }
        }
        AllocatorStats end = cuda().allocatorStats();
        assertEquals(warm.cudaMallocCalls(), end.cudaMallocCalls(), "cudaMalloc calls grew in a steady loop: " + warm + " -> " + end);
        assertEquals(0, end.cudaFreeCalls() - warm.cudaFreeCalls(), "cudaFree in a steady loop");
        assertEquals(pinnedWarm, cuda().pinnedAllocations(), "pinned buffers grew in a steady loop");
    }
}
