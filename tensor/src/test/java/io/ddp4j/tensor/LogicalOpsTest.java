package io.ddp4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ne and the logical ops give PyTorch's answers (printed by PyTorch 1.13 for the same inputs):
 * NaN differs from everything and counts as true, -0.0 counts as false, and any dtype works.
 */
@ExtendWith(ScopePerTest.class)
class LogicalOpsTest {
    private static final double NAN = Double.NaN;

    private static Tensor x() {
        return Tensor.fromArray(new double[]{0.0, -0.0, NAN, 1.5, 0.0}, 5).to(DType.F32);
    }

    private static Tensor y() {
        return Tensor.fromArray(new double[]{0.0, 2.0, NAN, NAN, -1.0}, 5).to(DType.F32);
    }

    @Test
    void notEqualTreatsNaNAsDifferentFromItself() {
        assertArrayEquals(new boolean[]{false, true, true, true, true}, x().ne(y()).toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, true, true, false}, x().ne(0L).toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, true, true, false}, x().ne(0.0).toBooleanArray());
        assertEquals(DType.BOOL, x().ne(y()).dtype());
    }

    @Test
    void logicalOpsTreatEveryNonzeroAsTrue() {
        assertArrayEquals(new boolean[]{true, true, false, false, true}, x().logicalNot().toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, true, true, false}, x().logicalAnd(y()).toBooleanArray());
        assertArrayEquals(new boolean[]{false, true, true, true, true}, x().logicalOr(y()).toBooleanArray());
        assertArrayEquals(new boolean[]{false, true, false, false, true}, x().logicalXor(y()).toBooleanArray());
    }

    @Test
    void logicalOpsTakeAnyDtypesAndBroadcast() {
        Tensor ints = Tensor.fromArray(new long[]{(1L << 53) + 1, 0, 3}, 3);
        assertArrayEquals(new boolean[]{true, false, true}, ints.ne(Tensor.fromArray(new long[]{1L << 53, 0, 4}, 3)).toBooleanArray(),
                "int64 compared exactly");
        assertArrayEquals(new boolean[]{false, true, true}, ints.ne((1L << 53) + 1).toBooleanArray());
        Tensor mask = Tensor.fromArray(new boolean[]{true, true, false}, 3);
        assertArrayEquals(new boolean[]{true, false, false}, ints.logicalAnd(mask).toBooleanArray());
        Tensor column = Tensor.fromArray(new long[]{1, 0}, 2, 1), row = Tensor.fromArray(new double[]{1.0, 0.0, NAN}, 3);
        Tensor xor = column.logicalXor(row);
        assertArrayEquals(new int[]{2, 3}, xor.shape());
        assertArrayEquals(new boolean[]{false, true, false, true, false, true}, xor.toBooleanArray());
        assertArrayEquals(new boolean[]{false, false, true}, mask.logicalNot().toBooleanArray());
    }
}
