package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.ddp4j.tensor.optim.OptimizerTestSupport.param;
import static io.ddp4j.tensor.optim.OptimizerTestSupport.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** clipGradNorm: PyTorch's total norm over all gradients and scale min(1, max / (total + 1e-6)). */
class GradClippingTest {

    @Test
    void scalesAllGradientsTogetherWhenTheTotalNormIsTooLarge() {
        Tensor a = param(0, 0), b = param(0), none = param(0);
        setGrad(a, 3, 0);
        setGrad(b, 4); // total 2-norm 5
        double total = GradClipping.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(5, total, 1e-6);
        double coef = 1.0 / (5 + 1e-6);
        assertArrayEquals(new double[]{3 * coef, 0}, a.grad().toDoubleArray(), 1e-7);
        assertArrayEquals(new double[]{4 * coef}, b.grad().toDoubleArray(), 1e-7);
    }

    @Test
    void leavesGradientsAloneWhenTheNormIsSmallEnough() {
        Tensor a = param(0, 0);
        setGrad(a, 0.3, -0.4);
        assertEquals(0.5, GradClipping.clipGradNorm(List.of(a), 1.0), 1e-6);
        assertArrayEquals(new double[]{0.3, -0.4}, a.grad().toDoubleArray(), 1e-7);
    }

    @Test
    void theInfinityNormIsTheLargestMagnitude() {
        Tensor a = param(0, 0), b = param(0);
        setGrad(a, 1, -6);
        setGrad(b, 2);
        assertEquals(6, GradClipping.clipGradNorm(List.of(a, b), 3, Double.POSITIVE_INFINITY), 1e-6);
        assertArrayEquals(new double[]{0.5, -3}, a.grad().toDoubleArray(), 1e-5);
    }
}
