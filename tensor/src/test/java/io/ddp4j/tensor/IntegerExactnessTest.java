package io.ddp4j.tensor;

import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.ops.Elementwise;
import io.ddp4j.tensor.ops.Indexing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Integer tensors are exact over their whole range, as in PyTorch: int64 values above 2^53 (where
 * a double has no room for the last bits) survive every op, and overflow wraps as C++ wraps it.
 * Every expected value here was printed by PyTorch (1.13, CPU) for the same inputs.
 */
@ExtendWith(ScopePerTest.class)
class IntegerExactnessTest {
    private static final long TWO_53 = 1L << 53, TWO_62 = 1L << 62, MIN = Long.MIN_VALUE, MAX = Long.MAX_VALUE;
    /** 2^60 + 2^36 + 1: rounding it to double first, then to float, gives a different float than rounding it once. */
    private static final long DOUBLE_ROUNDING_TRAP = (1L << 60) + (1L << 36) + 1;

    private static Tensor longs(long... values) {
        return Tensor.fromArray(values, values.length);
    }

    private static Tensor a() {
        return longs(TWO_62 + 1, MIN, TWO_53 + 1, MAX, -5);
    }

    private static Tensor b() {
        return longs(TWO_62 + 3, -1, TWO_53, 2, 3);
    }

    private static void assertValues(long[] expected, Tensor t) {
        assertArrayEquals(expected, t.toLongArray(), t.describe());
    }

    @Test
    void int64ArithmeticIsExactAndWrapsOnOverflow() {
        Tensor a = a(), b = b();
        assertValues(new long[]{-9223372036854775804L, 9223372036854775807L, 18014398509481985L, -9223372036854775807L, -2}, a.add(b));
        assertValues(new long[]{-2, -9223372036854775807L, 1, 9223372036854775805L, -8}, a.sub(b));
        assertValues(new long[]{3, MIN, 9007199254740992L, -2, -15}, a.mul(b));
        assertValues(new long[]{4611686018427387907L, -1, 9007199254740993L, MAX, 3}, a.maximum(b));
        assertValues(new long[]{4611686018427387905L, MIN, 9007199254740992L, 2, -5}, a.minimum(b));
        assertArrayEquals(new boolean[]{true, true, false, false, true}, a.lt(b).toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, false, false, false}, a.eq(b).toBooleanArray(), "2^53 + 1 is not 2^53");
    }

    @Test
    void roundingDivisionsOfLargeInt64sAreExact() {
        Tensor a = a(), b = longs(TWO_62 + 3, -7, TWO_53, 2, 3);
        assertValues(new long[]{0, 1317624576693539401L, 1, 4611686018427387903L, -2}, a.div(b, RoundingMode.FLOOR));
        assertValues(new long[]{0, 1317624576693539401L, 1, 4611686018427387903L, -1}, a.div(b, RoundingMode.TRUNC));
        assertValues(new long[]{4611686018427387905L, -1, 1, 1, 1}, a.remainder(b));
        assertValues(new long[]{4611686018427387905L, -1, 1, 1, -2}, a.fmod(b));
    }

    @Test
    void narrowIntegersWrapAsInCpp() {
        Tensor i32 = Tensor.fromArray(new int[]{Integer.MAX_VALUE, 65536, Integer.MIN_VALUE}, 3);
        Tensor j32 = Tensor.fromArray(new int[]{Integer.MAX_VALUE, 65536, -1}, 3);
        assertArrayEquals(new int[]{1, 0, Integer.MIN_VALUE}, i32.mul(j32).toIntArray(), "int32 products wrap at 2^32");
        Tensor u8 = longs(7, 200).to(DType.U8), v8 = longs(9, 100).to(DType.U8);
        assertValues(new long[]{254, 100}, u8.sub(v8));
        assertValues(new long[]{144}, longs(200).to(DType.U8).mul(longs(2).to(DType.U8)));
        assertArrayEquals(new int[]{6}, Tensor.fromArray(new int[]{1}, 1).add((1L << 32) + 5).toIntArray(), "the scalar wraps into int32, as in PyTorch");
    }

    @Test
    void integerPowersWrapAndNegativeExponentsFollowPyTorch() {
        Tensor base = longs(3, -3, 2, 7), exponent = longs(40, 41, 63, 25);
        assertValues(new long[]{-6289078614652622815L, 420491770248316829L, MIN, -5543697716832367161L}, base.pow(exponent));
        assertArrayEquals(new int[]{689956897, -2069870691, 0, 1578110407}, base.to(DType.I32).pow(exponent.to(DType.I32)).toIntArray());
        assertValues(new long[]{0, -1, 1, 1, 0, 1}, longs(2, -1, -1, 1, 0, 5).pow(longs(-1, -3, -4, -7, -1, 0)));
        assertValues(new long[]{-6289078614652622815L}, longs(3).pow(40));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> longs(2).pow(-1));
        assertTrue(e.getMessage().contains("pow") && e.getMessage().contains("negative integer powers") && e.getMessage().contains("int64"), e.getMessage());
    }

    @Test
    void int64ReductionsAreExactAndSumsWrap() {
        Tensor a = a();
        assertEquals(4620693217682128892L, a.sum().longItem(), "the sum wraps at 2^64");
        assertEquals(9007199254740994L, longs(TWO_53, 1, 1).sum().longItem(), "2^53 + 1 + 1 is not lost to rounding");
        assertEquals(6442450941L, Tensor.fromArray(new int[]{Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, 3).sum().longItem(),
                "int32 sums are int64");
        assertEquals(MAX, a.max().longItem());
        assertEquals(TWO_53 + 1, longs(TWO_53, TWO_53 + 1, TWO_53).reshape(1, 3).max(1, false).longItem());
        assertEquals(1, longs(TWO_53, TWO_53 + 1, TWO_53).argmax(0, false).longItem());
    }

    @Test
    void integerUnaryOpsAreExact() {
        Tensor a = a();
        assertValues(new long[]{-4611686018427387905L, MIN, -9007199254740993L, -MAX, 5}, a.neg());
        assertValues(new long[]{4611686018427387905L, MIN, 9007199254740993L, MAX, 5}, a.abs());
        assertValues(new long[]{4611686018427387905L, 0, 9007199254740993L, MAX, 0}, a.relu());
        assertValues(new long[]{1, -1, 1, 1, -1}, Elementwise.unary(UnaryOp.SIGN, a));
    }

    @Test
    void int64ConvertsToEachDtypeInOneRounding() {
        Tensor c = longs(DOUBLE_ROUNDING_TRAP, TWO_53 + 1, -(TWO_62 + (1L << 38) + 1), 16777217);
        assertArrayEquals(new double[]{1.1529216420458004e+18, 9007199254740992.0, -4.611686568183202e+18, 16777216.0}, c.to(DType.F32).toDoubleArray());
        assertArrayEquals(new double[]{1.1529215733263237e+18, 9007199254740992.0, -4.611686293305295e+18, 16777217.0}, c.to(DType.F64).toDoubleArray());
        assertArrayEquals(new double[]{1.152921504606847e+18, 9007199254740992.0, -4.611686018427388e+18, 16777216.0}, c.to(DType.BF16).toDoubleArray());
        double inf = Double.POSITIVE_INFINITY;
        assertArrayEquals(new double[]{inf, inf, -inf, inf}, c.to(DType.F16).toDoubleArray());
        Tensor a = a();
        assertArrayEquals(new int[]{1, 0, 1, -1, -5}, a.to(DType.I32).toIntArray());
        assertValues(new long[]{1, 0, 1, 255, 251}, a.to(DType.U8));
        assertArrayEquals(new boolean[]{true, true, true, true, true}, a.to(DType.BOOL).toBooleanArray());
    }

    @Test
    void largeIntegerValuesMoveExactly() {
        Tensor a = a(), b = b();
        assertValues(new long[]{9007199254740993L, 4611686018427387905L, 9007199254740993L}, Indexing.indexSelect(a, 0, longs(2, 0, 2)));
        Tensor cond = Tensor.fromArray(new boolean[]{true, false, true, false, true}, 5);
        assertValues(new long[]{4611686018427387905L, -1, 9007199254740993L, 2, -5}, Tensor.where(cond, a, b));
        assertValues(new long[]{TWO_53 + 1, TWO_53 + 1}, Tensor.full(TWO_53 + 1, DType.I64, Device.CPU, 2));
        assertEquals(1.1529216420458004e+18, Tensor.full(DOUBLE_ROUNDING_TRAP, DType.F32, Device.CPU, 1).item(), "one rounding into float32");
        assertEquals(TWO_53 + 1, Tensor.scalar(TWO_53 + 1, DType.I64).longItem());
    }

    @Test
    void largeIntegerScalarsReachTheTensorExactly() {
        Tensor a = a();
        assertValues(new long[]{4620693217682128898L, -9214364837600034815L, 18014398509481986L, -9214364837600034816L, 9007199254740988L},
                a.add(TWO_53 + 1));
        assertValues(new long[]{-4611686018427387901L, MIN, 27021597764222979L, 9223372036854775805L, -15}, a.mul(3));
        assertArrayEquals(new boolean[]{false, false, true, false, false}, a.eq(TWO_53 + 1).toBooleanArray());
        assertEquals(1.1529216420458004e+18, Tensor.zeros(1).add(DOUBLE_ROUNDING_TRAP).item(), "a Python int meets float32 in one rounding");
        Tensor x = longs(TWO_53 + 1);
        x.addInPlace(TWO_53 + 1);
        assertValues(new long[]{18014398509481986L}, x);
    }

    @Test
    void arangeAndClampTakeExactIntegers() {
        assertValues(new long[]{1152921504606846976L, 1152921504606846977L, 1152921504606846978L}, Tensor.arange(1L << 60, (1L << 60) + 3, 1, DType.I64));
        assertValues(new long[]{1152921504606846979L, 1152921504606846977L}, Tensor.arange((1L << 60) + 3, 1L << 60, -2, DType.I64));
        assertValues(new long[]{MIN, MIN + TWO_62, 0, TWO_62}, Tensor.arange(MIN, MAX, TWO_62, DType.I64));
        assertArrayEquals(new float[]{0, 1, 2}, Tensor.arange(0, 3, 1, DType.F32).toFloatArray());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(5, 0, 1, DType.I64));
        assertTrue(e.getMessage().contains("arange") && e.getMessage().contains("inconsistent"), e.getMessage());
        assertValues(new long[]{9007199254740994L, 4611686018427387903L}, longs(TWO_53 + 1, TWO_62).clamp(TWO_53 + 2, TWO_62 - 1));
    }

    @Test
    void longItemIsExactAndRefusesFloats() {
        assertEquals(TWO_53 + 1, longs(TWO_53 + 1).longItem());
        assertEquals(1, Tensor.fromArray(new boolean[]{true}, 1).longItem());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.scalar(2.5, DType.F32).longItem());
        assertTrue(e.getMessage().contains("longItem") && e.getMessage().contains("float32"), e.getMessage());
    }
}
