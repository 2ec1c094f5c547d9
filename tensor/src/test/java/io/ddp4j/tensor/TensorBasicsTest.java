package io.ddp4j.tensor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Factories, layouts and views, reading values back, dtype conversions. */
@ExtendWith(ScopePerTest.class)
class TensorBasicsTest {
    @Test
    void factoriesFillShapeAndDtype() {
        Tensor z = Tensor.zeros(DType.F64, 2, 3);
        assertArrayEquals(new int[]{2, 3}, z.shape());
        assertArrayEquals(new long[]{3, 1}, z.strides());
        assertEquals(DType.F64, z.dtype());
        assertEquals(Device.CPU, z.device());
        assertArrayEquals(new double[6], z.toDoubleArray());
        assertArrayEquals(new float[]{1, 1, 1}, Tensor.ones(3).toFloatArray());
        assertArrayEquals(new float[]{2.5f, 2.5f}, Tensor.full(2.5, 2).toFloatArray());
        assertArrayEquals(new long[]{0, 1, 2, 3}, Tensor.arange(4).toLongArray());
        assertArrayEquals(new double[]{1, 0.5, 0, -0.5}, Tensor.arange(1, -1, -0.5, DType.F64).toDoubleArray());
        assertEquals(0, Tensor.scalar(7, DType.I32).dim());
        assertEquals(7.0, Tensor.scalar(7, DType.I32).item());
        assertArrayEquals(new boolean[]{true, false}, Tensor.fromArray(new boolean[]{true, false}).toBooleanArray());
        assertArrayEquals(new int[]{4, -2}, Tensor.fromArray(new int[]{4, -2}).toIntArray());
    }

    @Test
    void viewsShareStorageAndSeeWrites() {
        Tensor base = Tensor.fromArray(new float[]{0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor t = base.transpose(0, 1);
        assertSame(base.storage(), t.storage());
        assertArrayEquals(new int[]{3, 2}, t.shape());
        assertArrayEquals(new long[]{1, 3}, t.strides());
        assertFalse(t.isContiguous());
        assertArrayEquals(new float[]{0, 3, 1, 4, 2, 5}, t.toFloatArray());

        Tensor row = base.narrow(0, 1, 1).squeeze(0);
        assertEquals(3, row.offset());
        row.fillInPlace(9);
        assertArrayEquals(new float[]{0, 1, 2, 9, 9, 9}, base.toFloatArray(), "a write through a view lands in the base");

        Tensor col = base.slice(1, 1, 3);
        assertArrayEquals(new float[]{1, 2, 9, 9}, col.toFloatArray());
        assertArrayEquals(new int[]{1, 2, 3}, base.unsqueeze(0).shape());
        assertArrayEquals(new int[]{3, 2}, base.permute(1, 0).shape());
        assertArrayEquals(new float[]{0, 1, 2, 9, 9, 9}, base.reshape(3, -1).toFloatArray());
        assertSame(base.storage(), base.view(6).storage());
    }

    @Test
    void expandRepeatsWithoutCopyingAndContiguousCopiesWhenNeeded() {
        Tensor v = Tensor.fromArray(new float[]{1, 2}, 2, 1);
        Tensor e = v.expand(2, 3);
        assertArrayEquals(new long[]{1, 0}, e.strides());
        assertArrayEquals(new float[]{1, 1, 1, 2, 2, 2}, e.toFloatArray());
        Tensor c = e.contiguous();
        assertNotSame(e.storage(), c.storage());
        assertTrue(c.isContiguous());
        assertSame(c, c.contiguous(), "a contiguous tensor is its own contiguous()");
        // reshape of a non-contiguous tensor copies; view refuses
        Tensor t = Tensor.arange(0, 6, 1, DType.F32).reshape(2, 3).t();
        assertArrayEquals(new float[]{0, 3, 1, 4, 2, 5}, t.reshape(6).toFloatArray());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> t.view(6));
        assertTrue(ex.getMessage().startsWith("view:") && ex.getMessage().contains("reshape"), ex.getMessage());
    }

    @Test
    void floatDtypesConvertWithRoundToNearestEven() {
        Tensor third = Tensor.fromArray(new double[]{1.0 / 3});
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(1f / 3)), third.to(DType.F16).toFloatArray()[0]);
        assertEquals(0.333251953125, third.to(DType.F16).item(), 0, "float16 keeps 11 significant bits");
        double halfwayToEven = 1 + Math.scalb(1.0, -8);       // between 1 and 1+2^-7: the even one is 1
        double halfwayToEvenUp = 1 + 3 * Math.scalb(1.0, -8);  // between 1+2^-7 and 1+2^-6: the even one is 1+2^-6
        double aboveHalfway = 1 + Math.scalb(1.0, -8) + Math.scalb(1.0, -20);
        Tensor bf = Tensor.fromArray(new double[]{halfwayToEven, halfwayToEvenUp, aboveHalfway, -2.75}).to(DType.BF16);
        assertArrayEquals(new double[]{1, 1 + Math.scalb(1.0, -6), 1 + Math.scalb(1.0, -7), -2.75}, bf.toDoubleArray());
        assertArrayEquals(new float[]{1.5f, -2f}, Tensor.fromArray(new double[]{1.5, -2}).to(DType.BF16).to(DType.F16).to(DType.F32).toFloatArray());
        assertArrayEquals(new long[]{1, -2, 3}, Tensor.fromArray(new double[]{1.9, -2.7, 3.2}).to(DType.I64).toLongArray(), "truncates towards zero");
    }

    @Test
    void halfPrecisionArithmeticRoundsItsResults() {
        Tensor a = Tensor.fromArray(new float[]{1, 2048}).to(DType.F16);
        Tensor sum = a.add(Tensor.fromArray(new float[]{1f / 1024, 1}).to(DType.F16));
        assertEquals(DType.F16, sum.dtype());
        // 1 + 2^-10 is representable in float16; 2048 + 1 is not (spacing 2 there) and ties to even 2048
        assertArrayEquals(new float[]{1 + 1f / 1024, 2048}, sum.toFloatArray());
        assertArrayEquals(new float[]{3, 1}, Tensor.fromArray(new float[]{1.5f, 0.5f}).to(DType.BF16).mul(2).toFloatArray());
    }

    @Test
    void int64ValuesAboveTwoToThe53SurviveCopies() {
        long big = (1L << 53) + 1;
        Tensor t = Tensor.fromArray(new long[]{big, 1, 2, big + 2}, 2, 2).t().contiguous();
        assertArrayEquals(new long[]{big, 2, 1, big + 2}, t.toLongArray());
    }

    @Test
    void itemNeedsExactlyOneElement() {
        assertEquals(3.5, Tensor.full(3.5, 1, 1).item());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.ones(2).item());
        assertTrue(e.getMessage().startsWith("item:") && e.getMessage().contains("float32[2]"), e.getMessage());
    }

    @Test
    void toStringShowsDtypeShapeAndSmallValues() {
        assertEquals("tensor(float32[2], [1.0, 2.0])", Tensor.fromArray(new float[]{1, 2}).toString());
        Tensor x = Tensor.ones(DType.F64, 1).setRequiresGrad(true);
        assertTrue(x.mul(2).toString().contains("grad_fn=mul"), x.mul(2).toString());
    }
}
