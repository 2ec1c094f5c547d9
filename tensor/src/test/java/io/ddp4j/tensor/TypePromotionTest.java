package io.ddp4j.tensor;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.ops.TypePromotion;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mixed dtypes give PyTorch's result types. The tables are PyTorch's own answers
 * ({@code torch.promote_types}, {@code torch.result_type}), printed by torch for the dtypes in
 * {@link DType}'s order: F32 F16 BF16 F64 I32 I64 U8 BOOL.
 */
class TypePromotionTest {
    private static final DType[] ORDER = DType.values();

    /** torch.promote_types(row, column). */
    private static final String[] PROMOTE = {
            "F32 F32 F32 F64 F32 F32 F32 F32",
            "F32 F16 F32 F64 F16 F16 F16 F16",
            "F32 F32 BF16 F64 BF16 BF16 BF16 BF16",
            "F64 F64 F64 F64 F64 F64 F64 F64",
            "F32 F16 BF16 F64 I32 I64 I32 I32",
            "F32 F16 BF16 F64 I64 I64 I64 I64",
            "F32 F16 BF16 F64 I32 I64 U8 U8",
            "F32 F16 BF16 F64 I32 I64 U8 BOOL",
    };

    /** torch.result_type(a tensor with dims of the row's dtype, a 0-d tensor of the column's). */
    private static final String[] DIM_WITH_ZERO_DIM = {
            "F32 F32 F32 F32 F32 F32 F32 F32",
            "F16 F16 F16 F16 F16 F16 F16 F16",
            "BF16 BF16 BF16 BF16 BF16 BF16 BF16 BF16",
            "F64 F64 F64 F64 F64 F64 F64 F64",
            "F32 F16 BF16 F64 I32 I32 I32 I32",
            "F32 F16 BF16 F64 I64 I64 I64 I64",
            "F32 F16 BF16 F64 U8 U8 U8 U8",
            "F32 F16 BF16 F64 I32 I64 U8 BOOL",
    };

    /** torch.result_type(a tensor of the row's dtype, 2) and (…, 2.5). */
    private static final String[] WITH_INT_AND_FLOAT_SCALAR = {
            "F32 F32", "F16 F16", "BF16 BF16", "F64 F64", "I32 F32", "I64 F32", "U8 F32", "I64 F32",
    };

    private static DType at(String[] table, int row, int column) {
        return DType.valueOf(table[row].split(" ")[column]);
    }

    @Test
    void promoteTypesIsPyTorchsTable() {
        for (int r = 0; r < ORDER.length; r++)
            for (int c = 0; c < ORDER.length; c++)
                assertEquals(at(PROMOTE, r, c), TypePromotion.promoteTypes(ORDER[r], ORDER[c]), ORDER[r] + " with " + ORDER[c]);
    }

    @Test
    void resultTypeOfTensorsIsPyTorchsIncludingZeroDimOperands() {
        for (int r = 0; r < ORDER.length; r++) {
            for (int c = 0; c < ORDER.length; c++) {
                try (Scope s = Scope.open()) {
                    Tensor dims = Tensor.zeros(ORDER[r], 2), zeroDim = Tensor.scalar(0, ORDER[c]);
                    Tensor otherDims = Tensor.zeros(ORDER[c], 2);
                    String what = ORDER[r] + "[2] with " + ORDER[c];
                    assertEquals(at(PROMOTE, r, c), TypePromotion.resultType(dims, otherDims), what + "[2]");
                    assertEquals(at(DIM_WITH_ZERO_DIM, r, c), TypePromotion.resultType(dims, zeroDim), what + "[] ");
                    assertEquals(at(DIM_WITH_ZERO_DIM, r, c), TypePromotion.resultType(zeroDim, dims), ORDER[c] + "[] with " + ORDER[r] + "[2]");
                    assertEquals(at(DIM_WITH_ZERO_DIM, r, c), dims.add(zeroDim).dtype(), "add: " + what + "[]");
                }
            }
        }
    }

    @Test
    void scalarsCountAsPythonIntsAndFloats() {
        for (int r = 0; r < ORDER.length; r++) {
            try (Scope s = Scope.open()) {
                Tensor t = Tensor.zeros(ORDER[r], 2);
                String[] want = WITH_INT_AND_FLOAT_SCALAR[r].split(" ");
                assertEquals(DType.valueOf(want[0]), TypePromotion.resultType(t, false), ORDER[r] + " with 2");
                assertEquals(DType.valueOf(want[1]), TypePromotion.resultType(t, true), ORDER[r] + " with 2.5");
                assertEquals(DType.valueOf(want[0]), t.add(2).dtype(), ORDER[r] + ".add(2)");
                assertEquals(DType.valueOf(want[1]), t.add(2.5).dtype(), ORDER[r] + ".add(2.5)");
            }
        }
    }

    @Test
    void mixedOperandsComputeInTheCommonDtype() {
        Tensor ints = Tensor.fromArray(new long[]{1, 2, 3});
        assertArrayEquals(new float[]{0.5f, 1f, 1.5f}, ints.mul(0.5).toFloatArray(), "ints.mul(0.5) in float32, not truncated to 0, 1, 1");
        assertArrayEquals(new float[]{2f, 4f, 6f}, ints.mul(2).toFloatArray());
        assertEquals(DType.I64, ints.mul(2).dtype());
        Tensor half = Tensor.fromArray(new float[]{0.1f, 0.2f, 0.3f}).to(DType.F16);
        Tensor sum = half.add(Tensor.fromArray(new float[]{1e-4f, 1e-4f, 1e-4f}));
        assertEquals(DType.F32, sum.dtype());
        float[] h = half.toFloatArray();
        for (int i = 0; i < 3; i++) assertEquals(h[i] + 1e-4f, sum.toFloatArray()[i], 0f, "the f16 value widened exactly, then added in f32");
        assertEquals(DType.F64, ints.add(Tensor.fromArray(new double[]{0.25, 0.25, 0.25})).dtype());
        assertArrayEquals(new float[]{1.25f, 2.25f, 3.25f}, ints.add(Tensor.fromArray(new double[]{0.25, 0.25, 0.25})).toFloatArray());
        Tensor where = Tensor.where(ints.gt(1), ints, Tensor.fromArray(new float[]{9.5f, 9.5f, 9.5f}));
        assertEquals(DType.F32, where.dtype());
        assertArrayEquals(new float[]{9.5f, 2f, 3f}, where.toFloatArray());
        assertFalse(ints.isClosed(), "the caller's operand stays open after its promoted copy is freed");
    }

    @Test
    void comparisonsWithAFloatScalarCompareInFloat() {
        Tensor ints = Tensor.fromArray(new long[]{0, 1, 2});
        Tensor lt = ints.lt(1.5);
        assertEquals(DType.BOOL, lt.dtype());
        assertArrayEquals(new float[]{1, 1, 0}, lt.to(DType.F32).toFloatArray(), "1 < 1.5 (1.5 is not truncated to 1)");
        assertArrayEquals(new float[]{0, 0, 0}, ints.eq(0.5).to(DType.F32).toFloatArray());
        assertArrayEquals(new float[]{0, 0, 1}, ints.ge(Tensor.scalar(1.5, DType.F64)).to(DType.F32).toFloatArray());
    }

    @Test
    void clampOfIntegersByFloatBoundsIsFloat32() {
        Tensor ints = Tensor.arange(5);
        Tensor c = ints.clamp(0.5, 2.5);
        assertEquals(DType.F32, c.dtype());
        assertArrayEquals(new float[]{0.5f, 1f, 2f, 2.5f, 2.5f}, c.toFloatArray());
        assertEquals(DType.F32, ints.clamp(1.0, 3.0).dtype(), "Python floats, whole or not, make it float32 (PyTorch 1.13: torch.float32)");
        assertEquals(DType.I64, ints.clamp(1, 3).dtype(), "integer bounds keep the integer dtype");
        assertArrayEquals(new float[]{1f, 1f, 2f, 3f, 3f}, ints.clamp(1, 3).toFloatArray());
    }

    @Test
    void divisionOfIntegersIsTrueDivisionInFloat32() {
        Tensor ints = Tensor.fromArray(new long[]{7, -7, 1});
        Tensor q = ints.div(2);
        assertEquals(DType.F32, q.dtype());
        assertArrayEquals(new float[]{3.5f, -3.5f, 0.5f}, q.toFloatArray());
        Tensor byTensor = ints.div(Tensor.fromArray(new int[]{2, 2, 4}));
        assertEquals(DType.F32, byTensor.dtype());
        assertArrayEquals(new float[]{3.5f, -3.5f, 0.25f}, byTensor.toFloatArray());
        Tensor bools = Tensor.fromArray(new long[]{1, 0}).gt(0);
        assertArrayEquals(new float[]{0.5f, 0f}, bools.div(2).toFloatArray());
    }

    @Test
    void floatingUnaryOpsOfIntegersGiveFloat32() {
        Tensor e = Tensor.arange(3).exp();
        assertEquals(DType.F32, e.dtype());
        assertArrayEquals(new float[]{1f, (float) Math.E, (float) Math.exp(2)}, e.toFloatArray(), 1e-6f);
        assertEquals(DType.F32, Tensor.fromArray(new long[]{4}).sqrt().dtype());
        assertEquals(DType.I64, Tensor.fromArray(new long[]{-4}).abs().dtype(), "abs keeps integers, as in PyTorch");
        IllegalArgumentException gelu = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).gelu());
        assertTrue(gelu.getMessage().contains("gelu") && gelu.getMessage().contains("int64"), "PyTorch refuses gelu of integers: " + gelu.getMessage());
    }

    @Test
    void gradientsReturnInEachOperandsOwnDtype() {
        Tensor a = Tensor.fromArray(new float[]{1f, 2f}).to(DType.BF16).setRequiresGrad(true);
        Tensor b = Tensor.fromArray(new float[]{3f, 4f}).setRequiresGrad(true);
        Tensor y = a.mul(b);
        assertEquals(DType.F32, y.dtype());
        y.sum().backward();
        assertEquals(DType.BF16, a.grad().dtype());
        assertEquals(DType.F32, b.grad().dtype());
        assertArrayEquals(new float[]{3f, 4f}, a.grad().toFloatArray());
        assertArrayEquals(new float[]{1f, 2f}, b.grad().toFloatArray());
    }

    @Test
    void addSubAndWhereFreeTheirPromotedCopyAtOnceAndStillDifferentiate() {
        // their backward needs only shapes, so the float32 copy of the bf16 operand is closed when
        // the op returns; a backward that still read it would fail on a closed tensor
        Tensor a = Tensor.fromArray(new float[]{1f, 2f}).to(DType.BF16).setRequiresGrad(true);
        Tensor b = Tensor.fromArray(new float[]{3f, 4f}).setRequiresGrad(true);
        Tensor cond = Tensor.fromArray(new long[]{1, 0}).gt(0);
        float[][] wantA = {{1f, 1f}, {1f, 1f}, {1f, 0f}}, wantB = {{1f, 1f}, {-1f, -1f}, {0f, 1f}};
        Tensor[] ys = {a.add(b), a.sub(b), Tensor.where(cond, a, b)};
        for (int i = 0; i < ys.length; i++) {
            ys[i].sum().backward();
            assertEquals(DType.BF16, a.grad().dtype());
            assertArrayEquals(wantA[i], a.grad().toFloatArray(), "op " + i);
            assertArrayEquals(wantB[i], b.grad().toFloatArray(), "op " + i);
            a.setGrad(null);
            b.setGrad(null);
        }
        a.mul(b).sum().backward(); // mul reads the values: its copy is kept for backward
        assertArrayEquals(new float[]{3f, 4f}, a.grad().toFloatArray());
        assertFalse(a.isClosed() || b.isClosed());
    }

    @Test
    void promotionIsTheSameInsideAutocastAndUnderNoGrad() {
        Tensor h = Tensor.ones(DType.BF16, 3), f = Tensor.full(0.5, 3);
        assertEquals(DType.F32, h.add(f).dtype());
        try (Autocast ac = Autocast.enable(DType.BF16)) {
            assertEquals(DType.F32, h.add(f).dtype());
        }
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor s = h.add(f);
            assertNull(s.gradFn());
            assertArrayEquals(new float[]{1.5f, 1.5f, 1.5f}, s.toFloatArray());
        }
    }

    @Test
    void whatPyTorchRefusesIsStillRefused() {
        Tensor f = Tensor.zeros(DType.F32, 2, 2), d = Tensor.zeros(DType.F64, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.matmul(d));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("float64"), e.getMessage());
        IllegalArgumentException shapes = assertThrows(IllegalArgumentException.class, () -> f.add(Tensor.zeros(DType.F64, 3)));
        assertTrue(shapes.getMessage().contains("float32[2, 2]") && shapes.getMessage().contains("float64[3]"),
                "a shape error names the operands as the caller gave them: " + shapes.getMessage());
    }
    /** bf16(x op s) with s a float, computed in float: PyTorch's scalar path for 16-bit tensors. */
    private static double[] inFloat(Tensor x, java.util.function.DoubleBinaryOperator op, double scalar, DType dtype) {
        double[] v = x.toDoubleArray();
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (float) op.applyAsDouble((float) v[i], (float) scalar);
        return Tensor.fromArray(r, r.length).to(dtype).toDoubleArray();
    }

    @Test
    void sixteenBitTensorsMeetFloatScalarsUnroundedAsInPyTorch() {
        for (DType t : new DType[]{DType.BF16, DType.F16}) {
            Tensor x = Tensor.arange(1, 200, 1, DType.F32).mul(1.37).to(t);
            double s = 0.1, root = 1 / Math.sqrt(96);
            // float products of a 16-bit value and a float are exact in double, so these are float's own results
            assertArrayEquals(inFloat(x, (a, b) -> (float) (a * b), s, t), x.mul(s).toDoubleArray(), t + " x * 0.1");
            assertArrayEquals(inFloat(x, (a, b) -> (float) (a * b), root, t), x.mul(root).toDoubleArray(), t + " x * 1/sqrt(96)");
            assertArrayEquals(inFloat(x, (a, b) -> (float) ((float) a - (float) b), 0.3, t), x.sub(0.3).toDoubleArray(), t + " x - 0.3");
            assertArrayEquals(inFloat(x, (a, b) -> (float) ((float) a / (float) b), 3.0, t), x.div(3.0).toDoubleArray(), t + " x / 3");
            // x is positive, so truncating is flooring the float quotient (x // 0.3 floors from fmod instead: RoundingDivisionTest)
            assertArrayEquals(inFloat(x, (a, b) -> Math.floor((float) a / (float) b), 0.3, t),
                    x.div(0.3, RoundingMode.TRUNC).toDoubleArray(), t + " trunc(x / 0.3)");
            // the same products with the scalar rounded to the tensor's dtype first (PyTorch 1.x on the CPU) differ
            Tensor rounded = x.mul(Tensor.scalar(s, t));
            assertFalse(java.util.Arrays.equals(rounded.toDoubleArray(), x.mul(s).toDoubleArray()), t + ": the check must tell the two apart");
            // in place, the same
            assertArrayEquals(x.mul(s).toDoubleArray(), x.mul(1L).mulInPlace(s).toDoubleArray(), t + " x *= 0.1");
        }
    }
}
