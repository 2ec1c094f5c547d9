package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.memory.CpuStorage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The float32 shortcut gives the bits of the general path (which computes in double and rounds
 * once) for every op it takes, on values of every magnitude with ±0, subnormals, ±inf and NaN, on
 * lengths around the vector width and across the threads' split, with scalar operands on either
 * side and in place; and it stays out of the cases it cannot take.
 */
class CpuFloatLaneTest {
    private static final Random RND = new Random(11);
    /** Around one vector, across a few, and long enough to be split over the backend's threads. */
    private static final int[] LENGTHS = {1, 3, 7, 8, 15, 16, 17, 33, 100, 1000, (1 << 16) + 5};
    private static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL / 3, -Float.MIN_NORMAL,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f};
    private final List<CpuStorage> storages = new ArrayList<>();

    @BeforeEach
    void needsTheVectorApi() {
        VectorApiInTests.require();
    }

    @AfterEach
    void free() {
        storages.forEach(CpuStorage::release);
    }

    private TensorData dense(int n) {
        CpuStorage s = CpuStorage.allocate(4L * n);
        storages.add(s);
        return new TensorData(s, DType.F32, new int[]{n}, new long[]{1}, 0);
    }

    /** Random floats, one in eight a special value, some pairs equal (for maximum and minimum's ties). */
    private TensorData values(int n) {
        TensorData t = dense(n);
        MemorySegment s = CpuAccess.segment(t);
        for (int i = 0; i < n; i++) {
            float v = (float) (RND.nextGaussian() * Math.pow(10, RND.nextInt(13) - 6));
            if (RND.nextInt(8) == 0) v = SPECIAL[RND.nextInt(SPECIAL.length)];
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
        }
        return t;
    }

    /** An output of this shape laid out every other element: the shortcut does not take it, so the general path runs. */
    private TensorData spreadOut(int... shape) {
        long[] strides = TensorData.contiguousStrides(shape);
        long n = 1;
        for (int d : shape) n *= d;
        for (int d = 0; d < strides.length; d++) strides[d] *= 2;
        CpuStorage s = CpuStorage.allocate(8L * n);
        storages.add(s);
        return new TensorData(s, DType.F32, shape, strides, 0);
    }

    private TensorData denseOut(int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        CpuStorage s = CpuStorage.allocate(4L * n);
        storages.add(s);
        return new TensorData(s, DType.F32, shape, TensorData.contiguousStrides(shape), 0);
    }

    private static void assertSameBits(TensorData want, TensorData got, String what) {
        int n = (int) want.numel();
        double[] w = new double[n], g = new double[n];
        CpuAccess.read(want, 0, n, w, 0);
        CpuAccess.read(got, 0, n, g, 0);
        for (int i = 0; i < n; i++) {
            // floatToIntBits: every NaN is one NaN; a zero's sign and every other bit count
            if (Float.floatToIntBits((float) w[i]) != Float.floatToIntBits((float) g[i]))
                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", the general path gives " + w[i]);
        }
    }

    @Test
    void unaryOpsGiveTheGeneralPathsBits() {
        for (UnaryOp op : UnaryOp.values()) {
            if (!CpuFloatLane.supported(op)) continue;
            for (int n : LENGTHS) {
                TensorData x = values(n), got = dense(n), want = spreadOut(n);
                assertTrue(CpuFloatLane.unary(op, x, got), op + " on dense float32 takes the shortcut");
                CpuBackend.INSTANCE.unary(op, x, want);
                assertSameBits(want, got, op + " n=" + n);
            }
        }
    }

    @Test
    void binaryOpsGiveTheGeneralPathsBitsWithTensorsAndScalars() {
        for (BinaryOp op : BinaryOp.values()) {
            if (!CpuFloatLane.supported(op)) continue;
            for (int n : LENGTHS) {
                TensorData a = values(n), b = values(n);
                // where maximum and minimum meet equal values, which one they return shows in a zero's sign
                MemorySegment bs = CpuAccess.segment(b), as = CpuAccess.segment(a);
                for (int i = 0; i < n; i += 5) bs.setAtIndex(ValueLayout.JAVA_FLOAT, i, -as.getAtIndex(ValueLayout.JAVA_FLOAT, i) * 0f);
                TensorData got = dense(n), want = spreadOut(n);
                assertTrue(CpuFloatLane.binary(op, a, b, got), op + " on dense float32 takes the shortcut");
                CpuBackend.INSTANCE.binary(op, a, b, want);
                assertSameBits(want, got, op + " n=" + n);

                for (float scalar : new float[]{2.5f, -0f, Float.NaN, Float.NEGATIVE_INFINITY, 1e-40f}) {
                    TensorData s = dense(1);
                    CpuAccess.segment(s).setAtIndex(ValueLayout.JAVA_FLOAT, 0, scalar);
                    TensorData broadcast = s.withLayout(new int[]{n}, new long[]{0}, 0);
                    TensorData right = dense(n), rightWant = spreadOut(n), left = dense(n), leftWant = spreadOut(n);
                    assertTrue(CpuFloatLane.binary(op, a, broadcast, right));
                    CpuBackend.INSTANCE.binary(op, a, broadcast, rightWant);
                    assertSameBits(rightWant, right, op + " with the scalar " + scalar + " on the right, n=" + n);
                    assertTrue(CpuFloatLane.binary(op, broadcast, a, left));
                    CpuBackend.INSTANCE.binary(op, broadcast, a, leftWant);
                    assertSameBits(leftWant, left, op + " with the scalar " + scalar + " on the left, n=" + n);
                }
            }
        }
    }

    @Test
    void inPlaceOpsReadEachElementBeforeWritingIt() {
        int n = 1000;
        TensorData x = values(n), want = spreadOut(n);
        CpuBackend.INSTANCE.unary(UnaryOp.RELU, x, want);
        assertTrue(CpuFloatLane.unary(UnaryOp.RELU, x, x));
        assertSameBits(want, x, "relu in place");

        TensorData a = values(n), b = values(n), sum = spreadOut(n);
        CpuBackend.INSTANCE.binary(BinaryOp.ADD, a, b, sum);
        assertTrue(CpuFloatLane.binary(BinaryOp.ADD, a, b, a));
        assertSameBits(sum, a, "add in place");
    }

    @Test
    void broadcastRowsAndPlanesGiveTheGeneralPathsBits() {
        for (BinaryOp op : new BinaryOp[]{BinaryOp.ADD, BinaryOp.MUL, BinaryOp.MAXIMUM}) {
            // a linear layer's bias: [samples, features] + [features]
            TensorData x = values(7 * 50).withLayout(new int[]{7, 50}, new long[]{50, 1}, 0);
            TensorData bias = values(50).withLayout(new int[]{7, 50}, new long[]{0, 1}, 0);
            checkBinary(op, x, bias, "a bias row");
            checkBinary(op, bias, x, "a bias row on the left");
            // a convolution's bias: [n, c, h, w] + [c] over every pixel of each plane
            TensorData planes = values(3 * 5 * 36).withLayout(new int[]{3, 5, 6, 6}, new long[]{180, 36, 6, 1}, 0);
            TensorData perChannel = values(5).withLayout(new int[]{3, 5, 6, 6}, new long[]{0, 1, 0, 0}, 0);
            checkBinary(op, planes, perChannel, "a per-channel value");
            // a column broadcast along rows of 40: [n, 1] expanded to [n, 40]
            TensorData column = values(9).withLayout(new int[]{9, 40}, new long[]{1, 0}, 0);
            TensorData grid = values(9 * 40).withLayout(new int[]{9, 40}, new long[]{40, 1}, 0);
            checkBinary(op, column, grid, "a column");
            // size-1 dims anywhere, and an input that starts inside its storage
            TensorData inner = values(200).withLayout(new int[]{2, 1, 3, 32}, new long[]{96, 7, 32, 1}, 5);
            TensorData other = values(96).withLayout(new int[]{2, 1, 3, 32}, new long[]{0, 0, 32, 1}, 0);
            checkBinary(op, inner, other, "size-1 dims and an offset");
        }
        for (UnaryOp op : new UnaryOp[]{UnaryOp.RELU, UnaryOp.NEG, UnaryOp.SQRT}) {
            for (float value : new float[]{-2f, -0f, 3f, Float.NaN}) {
                TensorData one = dense(1);
                CpuAccess.segment(one).setAtIndex(ValueLayout.JAVA_FLOAT, 0, value);
                TensorData everywhere = one.withLayout(new int[]{4, 40}, new long[]{0, 0}, 0);
                TensorData got = denseOut(4, 40), want = spreadOut(4, 40);
                assertTrue(CpuFloatLane.unary(op, everywhere, got));
                CpuBackend.INSTANCE.unary(op, everywhere, want);
                assertSameBits(want, got, op + " of " + value + " broadcast");
            }
        }
    }

    private void checkBinary(BinaryOp op, TensorData a, TensorData b, String what) {
        TensorData got = denseOut(a.shape()), want = spreadOut(a.shape());
        assertTrue(CpuFloatLane.binary(op, a, b, got), what + " takes the shortcut");
        CpuBackend.INSTANCE.binary(op, a, b, want);
        assertSameBits(want, got, op + " with " + what);
    }

    @Test
    void layoutsAndDtypesItCannotTakeGoTheGeneralWay() {
        int n = 64;
        TensorData x = values(n), out = dense(n);
        assertFalse(CpuFloatLane.unary(UnaryOp.RELU, x.withLayout(new int[]{n / 2}, new long[]{2}, 0), dense(n / 2)), "a strided input");
        assertFalse(CpuFloatLane.unary(UnaryOp.RELU, x, spreadOut(n)), "a strided output");
        assertFalse(CpuFloatLane.unary(UnaryOp.EXP, x, out), "exp, whose float result is not the rounded double's in general");
        assertFalse(CpuFloatLane.binary(BinaryOp.POW, x, x, out), "pow");

        CpuStorage doubles = CpuStorage.allocate(8L * n);
        storages.add(doubles);
        TensorData f64 = new TensorData(doubles, DType.F64, new int[]{n}, new long[]{1}, 0);
        assertFalse(CpuFloatLane.unary(UnaryOp.RELU, f64, f64), "float64");
        assertFalse(CpuFloatLane.binary(BinaryOp.ADD, x, f64, out), "a float64 operand");

        // an input that is the output shifted by one element: the general path decides what that means
        TensorData buffer = values(n + 1);
        TensorData head = buffer.withLayout(new int[]{n}, new long[]{1}, 0), tail = buffer.withLayout(new int[]{n}, new long[]{1}, 1);
        assertFalse(CpuFloatLane.unary(UnaryOp.NEG, tail, head), "an input overlapping the output at another offset");
        assertFalse(CpuFloatLane.binary(BinaryOp.ADD, head, buffer.withLayout(new int[]{n}, new long[]{0}, 3), head),
                "a value broadcast from the output's own memory");

        // rows of 8: shorter than a row worth the setup
        TensorData row = values(8);
        TensorData rows = row.withLayout(new int[]{8, 8}, new long[]{0, 1}, 0);
        assertFalse(CpuFloatLane.binary(BinaryOp.ADD, rows, values(64).withLayout(new int[]{8, 8}, new long[]{8, 1}, 0), denseOut(8, 8)),
                "rows of 8");
        // a transposed input is dense in no trailing dims
        TensorData square = values(64 * 64).withLayout(new int[]{64, 64}, new long[]{1, 64}, 0);
        assertFalse(CpuFloatLane.unary(UnaryOp.RELU, square, denseOut(64, 64)), "a transposed input");
    }
}
