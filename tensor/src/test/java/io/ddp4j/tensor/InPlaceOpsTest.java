package io.ddp4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import static io.ddp4j.tensor.RoundingDivisionTest.assertSameValues;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In-place ops compute what the out-of-place op computes (type promotion) and cast it into the
 * tensor's own dtype, as PyTorch's {@code add_}, {@code mul_}, {@code div_} do; a result the
 * dtype cannot hold is refused and the tensor is left as it was. Expected values were printed by
 * PyTorch 1.13 for the same inputs.
 */
@ExtendWith(ScopePerTest.class)
class InPlaceOpsTest {
    private static Tensor of(DType dtype, double... values) {
        return Tensor.fromArray(values, values.length).to(dtype);
    }

    @Test
    void mixedDtypesComputeInThePromotedTypeAndCastBack() {
        Tensor f = of(DType.F32, 1, 2, 3).addInPlace(of(DType.I64, 1, 2, 3), 2);
        assertEquals(DType.F32, f.dtype());
        assertSameValues(new double[]{3, 6, 9}, f, "f32 += 2 * i64");

        assertSameValues(new double[]{1.0, 2.015625, 3.328125}, of(DType.BF16, 1, 2, 3).addInPlace(of(DType.F32, 0.001, 0.01, 1.0 / 3)), "bf16 += f32");
        assertSameValues(new double[]{1.3359375, 2.328125}, of(DType.BF16, 1, 2).addInPlace(of(DType.F32, 1, 1), 1.0 / 3), "bf16 += f32 * (1/3)");
        assertSameValues(new double[]{0.333251953125, 0.66650390625, 1.0}, of(DType.F16, 1, 2, 3).mulInPlace(of(DType.F64, 1.0 / 3, 1.0 / 3, 1.0 / 3)), "f16 *= f64");
        assertSameValues(new double[]{0.89990234375, 1.900390625}, of(DType.F16, 1, 2).subInPlace(of(DType.F64, 0.1)), "f16 -= f64 [1], broadcast");
        assertSameValues(new double[]{0.5, 1.5}, of(DType.F32, 1, 2).subInPlace(Tensor.scalar(0.5, DType.F64)), "f32 -= f64 0-d");

        Tensor i32 = of(DType.I32, 7, -7, 9).addInPlace(of(DType.U8, 1, 1, 1));
        assertEquals(DType.I32, i32.dtype());
        assertArrayEquals(new long[]{8, -6, 10}, i32.toLongArray(), "i32 += u8");
        assertArrayEquals(new long[]{4, 15}, of(DType.U8, 250, 5).addInPlace(10L).toLongArray(), "u8 += 10 wraps");
        assertArrayEquals(new long[]{3, 6, 9}, of(DType.I64, 1, 2, 3).mulInPlace(3L).toLongArray(), "i64 *= 3");
        assertArrayEquals(new long[]{3, -4, -3}, of(DType.I64, 7, -7, 9).divInPlace(of(DType.I64, 2, 2, -4), RoundingMode.FLOOR).toLongArray(), "i64 //= i64");
        assertArrayEquals(new long[]{3, -3}, of(DType.I64, 7, -7).divInPlace(2L, RoundingMode.TRUNC).toLongArray(), "i64 trunc-div 2");
        assertSameValues(new double[]{3.5, -1}, of(DType.F32, 7, -2).divInPlace(2.0), "f32 /= 2.0");
        assertSameValues(new double[]{1, 1}, of(DType.BOOL, 1, 0).addInPlace(of(DType.BOOL, 1, 1)), "bool += bool is or");
    }

    /** f must throw E with every fragment in its message, and leave t's values as they were. */
    private static <E extends Throwable> void refused(Class<E> type, Tensor t, Executable f, String... fragments) {
        double[] before = t.toDoubleArray();
        E e = assertThrows(type, f);
        for (String s : fragments) assertTrue(e.getMessage().contains(s), () -> "'" + s + "' missing from: " + e.getMessage());
        assertArrayEquals(before, t.toDoubleArray(), "the refused op changed the tensor");
    }

    @Test
    void resultsTheDtypeCannotHoldAreRefusedAndNothingIsWritten() {
        Tensor ints = of(DType.I64, 1, 2);
        refused(IllegalArgumentException.class, ints, () -> ints.mulInPlace(2.5), "mulInPlace:", "float32", "int64[2]", "can't be cast");
        refused(IllegalArgumentException.class, ints, () -> ints.mulInPlace(2.0), "mulInPlace:", "float32"); // a double is Python's float
        refused(IllegalArgumentException.class, ints, () -> ints.addInPlace(of(DType.F32, 1.5, 1)), "addInPlace:", "float32[2]", "int64");
        refused(IllegalArgumentException.class, ints, () -> ints.divInPlace(of(DType.I64, 2, 2)), "divInPlace:", "float32");
        refused(IllegalArgumentException.class, ints, () -> ints.addInPlace(of(DType.I64, 1, 1), 0.5), "addInPlace:", "alpha 0.5", "whole number");
        refused(ArithmeticException.class, ints, () -> ints.divInPlace(of(DType.I64, 1, 0), RoundingMode.FLOOR), "divInPlace(FLOOR):", "division by zero");
        refused(ArithmeticException.class, ints, () -> ints.divInPlace(0L, RoundingMode.TRUNC), "division by zero");

        Tensor flags = of(DType.BOOL, 1, 0);
        refused(IllegalArgumentException.class, flags, () -> flags.addInPlace(of(DType.I64, 1, 1)), "int64", "bool");
        refused(IllegalArgumentException.class, flags, () -> flags.mulInPlace(1L), "mulInPlace:", "bool");

        Tensor row = of(DType.F32, 1, 2);
        refused(IllegalArgumentException.class, row, () -> row.addInPlace(Tensor.zeros(2, 2)), "addInPlace:", "float32[2, 2]", "does not broadcast");
    }

    @Test
    void anOperandThatReadsTheTensorInAnotherLayoutSeesTheOldValues() {
        // large enough that the CPU backend works in several blocks: written blocks must not be read back
        int n = 200;
        double[] v = new double[n * n];
        for (int i = 0; i < v.length; i++) v[i] = i;
        Tensor x = Tensor.fromArray(v, n, n);
        double[] expected = x.add(x.t()).toDoubleArray();
        x.addInPlace(x.t());
        assertArrayEquals(expected, x.toDoubleArray());

        Tensor y = Tensor.fromArray(v.clone(), n, n);
        y.addInPlace(y); // the same layout reads each element before writing it
        double[] doubled = y.toDoubleArray();
        for (int i = 0; i < v.length; i++) assertEquals(2 * v[i], doubled[i]);
    }

    @Test
    void theOptimizersPathIsUnchanged() {
        Tensor p = of(DType.F32, 1, 2, 3), g = of(DType.F32, 0.5, 0.5, 0.5);
        p.addInPlace(g, -0.1).mulInPlace(2.0);
        assertSameValues(new double[]{(float) ((1f - 0.05f) * 2f), (float) ((2f - 0.05f) * 2f), (float) ((3f - 0.05f) * 2f)}, p, "sgd-like update");
    }
}
