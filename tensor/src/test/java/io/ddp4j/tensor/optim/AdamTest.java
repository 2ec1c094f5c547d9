package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.ddp4j.tensor.optim.OptimizerTestSupport.param;
import static io.ddp4j.tensor.optim.OptimizerTestSupport.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Adam and AdamW against PyTorch's bias-corrected formulas worked out in doubles. */
class AdamTest {
    private static final double[] P0 = {1.0, -2.0, 0.5, 0.0};
    private static final double[][] GRADS = {{0.5, -1.0, 2.0, 0.0}, {0.25, 0.5, -1.5, 1e-3}, {-0.75, 1.0, 0.125, -1e-3}, {0.1, 0.1, 0.1, 0.1}};

    /**
     * PyTorch's torch.optim.Adam / AdamW for one tensor, in doubles (t counts from 1):
     * Adam: g += wd * p.  AdamW: p *= 1 - lr * wd.
     * m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
     * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
     */
    private static double[] reference(double lr, double b1, double b2, double eps, double wd, boolean decoupled) {
        double[] p = P0.clone(), m = new double[p.length], v = new double[p.length];
        int t = 0;
        for (double[] grad : GRADS) {
            t++;
            for (int i = 0; i < p.length; i++) {
                double g = grad[i];
                if (decoupled) p[i] *= 1 - lr * wd;
                else g += wd * p[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double denom = Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
                p[i] -= lr / (1 - Math.pow(b1, t)) * m[i] / denom;
            }
        }
        return p;
    }

    private static double[] run(Adam adam, Tensor p) {
        try (adam) {
            for (double[] g : GRADS) {
                setGrad(p, g);
                adam.step();
            }
            assertEquals(GRADS.length, adam.stateDict().get("state.0.step").item(), "the step count");
            return p.toDoubleArray();
        }
    }

    @Test
    void adamWithDefaultsFollowsTheBiasCorrectedUpdate() {
        Tensor p = param(P0);
        assertArrayEquals(reference(1e-3, 0.9, 0.999, 1e-8, 0, false), run(new Adam(List.of(p), Adam.options()), p), 1e-6);
    }

    @Test
    void adamFoldsWeightDecayIntoTheGradient() {
        Tensor p = param(P0);
        assertArrayEquals(reference(0.1, 0.8, 0.99, 1e-3, 0.1, false),
                run(new Adam(List.of(p), Adam.options().lr(0.1).betas(0.8, 0.99).eps(1e-3).weightDecay(0.1)), p), 1e-5);
    }

    @Test
    void adamWDecaysTheParameterDirectly() {
        Tensor p = param(P0);
        AdamW adamW = new AdamW(List.of(p), AdamW.options().lr(0.1));
        assertEquals(0.01, adamW.paramGroups().get(0).get("weight_decay"), "AdamW's default weight decay");
        assertArrayEquals(reference(0.1, 0.9, 0.999, 1e-8, 0.01, true), run(adamW, p), 1e-5);
    }

    @Test
    void adamAndAdamWDifferOnlyThroughWeightDecay() {
        Tensor a = param(P0), b = param(P0);
        double[] adam = run(new Adam(List.of(a), Adam.options().lr(0.1).weightDecay(0.5)), a);
        double[] adamW = run(new AdamW(List.of(b), AdamW.options().lr(0.1).weightDecay(0.5)), b);
        assertArrayEquals(reference(0.1, 0.9, 0.999, 1e-8, 0.5, false), adam, 1e-5);
        assertArrayEquals(reference(0.1, 0.9, 0.999, 1e-8, 0.5, true), adamW, 1e-5);
        assertEquals(false, java.util.Arrays.equals(adam, adamW));
    }
}
