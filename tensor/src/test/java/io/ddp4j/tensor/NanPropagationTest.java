package io.ddp4j.tensor;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * NaN goes where PyTorch sends it, so a diverging model shows NaN instead of hiding it: the
 * expected values are what PyTorch 1.13 prints for the same inputs (CPU, float32), e.g.
 * {@code torch.relu(torch.tensor([nan, -1., .5, 3.]))}. Values compare bit for bit, so the sign of
 * a zero counts.
 */
@ExtendWith(ScopePerTest.class)
class NanPropagationTest {
    private static final double NAN = Double.NaN;

    private static Tensor f32(double... v) {
        return Tensor.fromArray(v, v.length).to(DType.F32);
    }

    private static void assertBits(double[] want, Tensor got, String what) {
        assertArrayEquals(Arrays.stream(want).mapToLong(Double::doubleToLongBits).toArray(),
                Arrays.stream(got.toDoubleArray()).mapToLong(Double::doubleToLongBits).toArray(),
                what + ": " + Arrays.toString(got.toDoubleArray()));
    }

    @Test
    void reluKeepsNaNAndNegativeZero() {
        // torch.relu: tensor([nan, 0., 0.5, 3., -0.])
        assertBits(new double[]{NAN, 0, 0.5, 3, -0.0}, f32(NAN, -1, 0.5, 3, -0.0).relu(), "relu");
        assertBits(new double[]{NAN, 0, 0.5, 3, -0.0}, f32(NAN, -1, 0.5, 3, -0.0).to(DType.F64).relu(), "relu in float64");
        assertBits(new double[]{NAN, 0}, f32(NAN, -2).to(DType.BF16).relu(), "relu in bfloat16");
    }

    @Test
    void reluPassesTheGradientWhereItsInputIsNaN() {
        // relu's backward is threshold_backward(grad, result, 0): 0 only where the result is <= 0
        Tensor x = f32(NAN, -1, 0.5, -0.0, 0).setRequiresGrad(true);
        x.relu().sum().backward();
        assertBits(new double[]{1, 0, 1, 0, 0}, x.grad(), "relu's gradient");
    }

    @Test
    void theMaximumOfASliceWithNaNIsNaNAndTheNaNTakesTheGradient() {
        Tensor x = f32(NAN, -1, 2).setRequiresGrad(true);
        Tensor m = x.max();
        assertBits(new double[]{NAN}, m, "max");
        m.backward();
        // x.max().backward(): tensor([1., 0., 0.])
        assertBits(new double[]{1, 0, 0}, x.grad(), "max's gradient");

        Tensor y = Tensor.fromArray(new double[]{NAN, -1, 0.5, 3}, 2, 2).to(DType.F32).setRequiresGrad(true);
        Tensor rows = y.max(1, false);
        assertBits(new double[]{NAN, 3}, rows, "max over dim 1");
        rows.sum().backward();
        // y.max(1).values.sum().backward(): tensor([[1., 0.], [0., 1.]])
        assertBits(new double[]{1, 0, 0, 1}, y.grad(), "max over dim 1, gradient");
        assertArrayEquals(new long[]{0, 1}, y.argmax(1, false).toLongArray(), "argmax takes NaN as the largest");
    }

    @Test
    void clampAndTheBinaryExtremaPropagateNaN() {
        Tensor x = f32(NAN, -1, 0.5, 3);
        assertBits(new double[]{NAN, 0, 0.5, 1}, x.clamp(0.0, 1.0), "clamp");
        Tensor other = f32(0, 0, NAN, 0);
        assertBits(new double[]{NAN, 0, NAN, 3}, x.maximum(other), "maximum");
        assertBits(new double[]{NAN, -1, NAN, 0}, x.minimum(other), "minimum");
        assertBits(new double[]{NAN, NAN, NAN, NAN}, x.softmax(0), "softmax");

        Tensor z = f32(NAN, -1, 2).setRequiresGrad(true);
        z.clamp(0.0, 1.0).sum().backward();
        assertBits(new double[]{0, 0, 0}, z.grad(), "clamp's gradient");
    }

    @Test
    void absHasAZeroGradientAtNaNAndAtBothZeros() {
        // x.abs().sum().backward() on [nan, -0., 0., -2., 3., inf]: tensor([0., 0., 0., -1., 1., 1.]), every zero +0
        // (abs's gradient is sign(x), PyTorch's (0 < x) - (x < 0))
        for (DType t : new DType[]{DType.F32, DType.F64}) {
            Tensor x = f32(NAN, -0.0, 0, -2, 3, Double.POSITIVE_INFINITY).to(t).setRequiresGrad(true);
            x.abs().sum().backward();
            assertBits(new double[]{0, 0, 0, -1, 1, 1}, x.grad(), t + " abs's gradient");
        }
    }
}
