package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.GradMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.function.BinaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * div with a rounding mode, remainder and fmod give PyTorch's answers. Every expected value here
 * was printed by PyTorch (1.13, CPU) for the same inputs, including the sign of zero, NaN and
 * infinities, and the float32 cases where the quotient rounded to float reaches an integer its
 * exact value does not (1 / 0.1f truncates to 10 but floors to 9).
 */
@ExtendWith(ScopePerTest.class)
class RoundingDivisionTest {
    private static final double NAN = Double.NaN, INF = Double.POSITIVE_INFINITY;

    /** The bits, so -0.0 differs from 0.0 and NaN equals NaN. */
    static void assertSameValues(double[] expected, Tensor actual, String what) {
        double[] got = actual.toDoubleArray();
        assertEquals(expected.length, got.length, what);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Double.doubleToLongBits(expected[i]), Double.doubleToLongBits(got[i]),
                    () -> what + ": " + java.util.Arrays.toString(got) + ", PyTorch " + java.util.Arrays.toString(expected));
    }

    private static void check(DType dtype, double[] a, double[] b, double[] trunc, double[] floor, double[] remainder, double[] fmod) {
        Tensor x = Tensor.fromArray(a, a.length).to(dtype), y = Tensor.fromArray(b, b.length).to(dtype);
        assertSameValues(trunc, x.div(y, RoundingMode.TRUNC), dtype + " div trunc");
        assertSameValues(floor, x.div(y, RoundingMode.FLOOR), dtype + " div floor");
        assertSameValues(remainder, x.remainder(y), dtype + " remainder");
        assertSameValues(fmod, x.fmod(y), dtype + " fmod");
        assertEquals(dtype, x.remainder(y).dtype());
    }

    @Test
    void floatsRoundAsPyTorchInEachDtype() {
        double[] a = {1.0, -1.0, 7.5, -7.5, 5.0, -5.0, 0.0, 1e-30};
        double[] b = {0.1, 0.1, -2.0, 2.0, 0.0, 0.0, -3.0, 1e30};
        check(DType.F32, a, b,
                new double[]{10, -10, -3, -3, INF, -INF, -0.0, 0},
                new double[]{9, -10, -4, -4, INF, -INF, -0.0, 0},
                new double[]{0.09999998658895493, 1.4901161193847656e-08, -0.5, 0.5, NAN, NAN, 0, 1.0000000031710769e-30},
                new double[]{0.09999998658895493, -0.09999998658895493, 1.5, -1.5, NAN, NAN, 0, 1.0000000031710769e-30});
        check(DType.F64, a, b,
                new double[]{10, -10, -3, -3, INF, -INF, -0.0, 0},
                new double[]{9, -10, -4, -4, INF, -INF, -0.0, 0},
                new double[]{0.09999999999999995, 5.551115123125783e-17, -0.5, 0.5, NAN, NAN, 0, 1e-30},
                new double[]{0.09999999999999995, -0.09999999999999995, 1.5, -1.5, NAN, NAN, 0, 1e-30});
        check(DType.BF16, a, b,
                new double[]{10, -10, -3, -3, INF, -INF, -0.0, 0},
                new double[]{9, -10, -4, -4, INF, -INF, -0.0, 0},
                new double[]{0.09912109375, 0.0009765625, -0.5, 0.5, NAN, NAN, 0, 9.98402083170343e-31},
                new double[]{0.09912109375, -0.09912109375, 1.5, -1.5, NAN, NAN, 0, 9.98402083170343e-31});
        double[] ha = a.clone(), hb = b.clone();
        ha[7] = 1e-4;
        hb[7] = -1e4;
        check(DType.F16, ha, hb,
                new double[]{10, -10, -3, -3, INF, -INF, -0.0, -0.0},
                new double[]{10, -11, -4, -4, INF, -INF, -0.0, -1},
                new double[]{0.000244140625, 0.0997314453125, -0.5, 0.5, NAN, NAN, 0, -10000},
                new double[]{0.000244140625, -0.000244140625, 1.5, -1.5, NAN, NAN, 0, 0.00010001659393310547});
    }

    @Test
    void integersDivideExactlyAndStayIntegers() {
        Tensor i = Tensor.fromArray(new long[]{7, -7, 7, -7, 0, -9007199254740991L, 5}, 7);
        Tensor j = Tensor.fromArray(new long[]{2, 2, -2, -2, 3, -1, 7}, 7);
        assertArrayEquals(new long[]{3, -3, -3, 3, 0, 9007199254740991L, 0}, i.div(j, RoundingMode.TRUNC).toLongArray());
        assertArrayEquals(new long[]{3, -4, -4, 3, 0, 9007199254740991L, 0}, i.div(j, RoundingMode.FLOOR).toLongArray());
        assertArrayEquals(new long[]{1, 1, -1, -1, 0, 0, 5}, i.remainder(j).toLongArray());
        assertArrayEquals(new long[]{1, -1, 1, -1, 0, 0, 5}, i.fmod(j).toLongArray());
        assertEquals(DType.I64, i.div(j, RoundingMode.FLOOR).dtype());

        Tensor u = Tensor.fromArray(new long[]{7, 200, 3}, 3).to(DType.U8), v = Tensor.fromArray(new long[]{2, 7, 5}, 3).to(DType.U8);
        assertArrayEquals(new long[]{3, 28, 0}, u.div(v, RoundingMode.FLOOR).toLongArray());
        assertArrayEquals(new long[]{1, 4, 3}, u.remainder(v).toLongArray());
        assertEquals(DType.U8, u.remainder(v).dtype());

        Tensor i32 = Tensor.fromArray(new long[]{7, -7}, 2).to(DType.I32);
        Tensor q = i32.div(-3L, RoundingMode.FLOOR);
        assertEquals(DType.I32, q.dtype());
        assertArrayEquals(new long[]{-3, 2}, q.toLongArray());
        // a float scalar makes it float32, as a Python float does
        Tensor r = i32.remainder(2.5);
        assertEquals(DType.F32, r.dtype());
        assertArrayEquals(new double[]{2.0, 0.5}, r.toDoubleArray());
        assertArrayEquals(new double[]{1.5, 0.5}, Tensor.fromArray(new float[]{7.5f, -7.5f}, 2).remainder(2L).toDoubleArray());
        assertArrayEquals(new double[]{3, -3}, Tensor.fromArray(new long[]{7, -7}, 2).div(2.0, RoundingMode.TRUNC).toDoubleArray());
    }

    @Test
    void theOneOverflowingQuotientWrapsInsteadOfCrashing() {
        // PyTorch 1.13's CPU kernel dies of SIGFPE here; int64's minimum over -1 wraps to itself, as C++ on a GPU gives
        Tensor min = Tensor.fromArray(new long[]{Long.MIN_VALUE, Long.MIN_VALUE}, 2);
        Tensor minusOne = Tensor.fromArray(new long[]{-1, -1}, 2);
        assertArrayEquals(new long[]{Long.MIN_VALUE, Long.MIN_VALUE}, min.div(minusOne, RoundingMode.TRUNC).toLongArray());
        assertArrayEquals(new long[]{Long.MIN_VALUE, Long.MIN_VALUE}, min.div(minusOne, RoundingMode.FLOOR).toLongArray());
        assertArrayEquals(new long[]{0, 0}, min.remainder(minusOne).toLongArray());
        assertArrayEquals(new long[]{0, 0}, min.fmod(-1L).toLongArray());
    }

    @Test
    void anIntegerZeroDivisorIsAnErrorNamingTheOperands() {
        Tensor i = Tensor.fromArray(new long[]{7, -7, 9}, 3), zeroAt1 = Tensor.fromArray(new long[]{2, 0, 3}, 3);
        for (BinaryOperator<Tensor> op : java.util.List.<BinaryOperator<Tensor>>of(
                (x, y) -> x.div(y, RoundingMode.TRUNC), (x, y) -> x.div(y, RoundingMode.FLOOR), Tensor::remainder, Tensor::fmod)) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> op.apply(i, zeroAt1));
            assertTrue(e.getMessage().contains("division by zero") && e.getMessage().contains("int64[3]") && e.getMessage().contains("1 zero"), e.getMessage());
        }
        ArithmeticException scalar = assertThrows(ArithmeticException.class, () -> i.remainder(0L));
        assertTrue(scalar.getMessage().startsWith("remainder:") && scalar.getMessage().contains("the scalar 0"), scalar.getMessage());
        // floats divide by zero as IEEE says (checked above), and so do integers with a float scalar
        assertArrayEquals(new double[]{INF, -INF, INF}, i.div(0.0, RoundingMode.FLOOR).toDoubleArray());
    }

    @Test
    void boolOperandsAreRefusedAsInPyTorch() {
        Tensor b = Tensor.fromArray(new long[]{1, 0}, 2).to(DType.BOOL);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.div(b, RoundingMode.FLOOR));
        assertTrue(e.getMessage().startsWith("div_floor:") && e.getMessage().contains("bool[2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.remainder(b));
        assertThrows(IllegalArgumentException.class, () -> b.fmod(b));
    }

    @Test
    void gradientsAreZeroForTheRoundedQuotientAndPyTorchsForTheRemainders() {
        Tensor x = Tensor.fromArray(new double[]{5, -3}, 2).setRequiresGrad(true);
        Tensor y = Tensor.fromArray(new double[]{2, 2}, 2).setRequiresGrad(true);
        x.div(y, RoundingMode.FLOOR).sum().backward();
        assertArrayEquals(new double[]{0, 0}, x.grad().toDoubleArray());
        assertArrayEquals(new double[]{0, 0}, y.grad().toDoubleArray());

        x.setGrad(null);
        y.setGrad(null);
        x.remainder(y).sum().backward();
        assertArrayEquals(new double[]{1, 1}, x.grad().toDoubleArray());
        assertArrayEquals(new double[]{-2, 2}, y.grad().toDoubleArray());

        x.setGrad(null);
        y.setGrad(null);
        x.fmod(y).sum().backward();
        assertArrayEquals(new double[]{1, 1}, x.grad().toDoubleArray());
        assertArrayEquals(new double[]{-2, 1}, y.grad().toDoubleArray());

        x.setGrad(null);
        x.fmod(2.0).mul(3).sum().backward();
        assertArrayEquals(new double[]{3, 3}, x.grad().toDoubleArray());
        try (GradMode.Guard g = GradMode.noGrad()) {
            assertEquals(null, x.remainder(y).gradFn());
        }
    }
}
