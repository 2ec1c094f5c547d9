package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.ddp4j.tensor.optim.OptimizerTestSupport.param;
import static io.ddp4j.tensor.optim.OptimizerTestSupport.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SGD against PyTorch's update rule worked out in doubles, step by step. */
class SGDTest {
    private static final double[][] GRADS = {{0.5, -1.0, 2.0}, {0.25, 0.5, -1.5}, {-0.75, 1.0, 0.125}};

    /**
     * PyTorch's torch.optim.SGD for one tensor, in doubles:
     * d = g + wd * p; buf = d on the first step else momentum * buf + (1 - dampening) * d;
     * d = nesterov ? d + momentum * buf : buf; p -= lr * d.
     */
    private static double[] reference(double[] p0, double lr, double momentum, double dampening, double wd, boolean nesterov) {
        double[] p = p0.clone();
        double[] buf = null;
        for (double[] g : GRADS) {
            double[] d = new double[p.length];
            for (int i = 0; i < p.length; i++) d[i] = g[i] + wd * p[i];
            if (momentum != 0) {
                if (buf == null) buf = d.clone();
                else for (int i = 0; i < p.length; i++) buf[i] = momentum * buf[i] + (1 - dampening) * d[i];
                for (int i = 0; i < p.length; i++) d[i] = nesterov ? d[i] + momentum * buf[i] : buf[i];
            }
            for (int i = 0; i < p.length; i++) p[i] -= lr * d[i];
        }
        return p;
    }

    private static double[] run(double[] p0, SGD.Options options) {
        Tensor p = param(p0);
        try (SGD sgd = new SGD(List.of(p), options)) {
            for (double[] g : GRADS) {
                setGrad(p, g);
                sgd.step();
            }
            return p.toDoubleArray();
        } finally {
            p.close();
        }
    }

    private static final double[] P0 = {1.0, -2.0, 0.5};

    @Test
    void plainSgdSubtractsLrTimesGradient() {
        assertArrayEquals(reference(P0, 0.1, 0, 0, 0, false), run(P0, SGD.options().lr(0.1)), 1e-6);
    }

    @Test
    void momentumWithDampeningAndWeightDecay() {
        assertArrayEquals(reference(P0, 0.1, 0.9, 0.3, 0.01, false),
                run(P0, SGD.options().lr(0.1).momentum(0.9).dampening(0.3).weightDecay(0.01)), 1e-6);
    }

    @Test
    void nesterovMomentum() {
        assertArrayEquals(reference(P0, 0.05, 0.9, 0, 0.1, true),
                run(P0, SGD.options().lr(0.05).momentum(0.9).weightDecay(0.1).nesterov(true)), 1e-6);
    }

    @Test
    void theFirstMomentumBufferIsTheGradientUndamped() {
        Tensor p = param(P0);
        try (SGD sgd = new SGD(List.of(p), SGD.options().lr(0.1).momentum(0.9).dampening(0.5))) {
            setGrad(p, GRADS[0]);
            sgd.step();
            assertArrayEquals(GRADS[0], sgd.stateDict().get("state.0.momentum_buffer").toDoubleArray(), 1e-7);
        }
    }

    @Test
    void eachGroupUsesItsOwnLearningRateAndParametersWithoutGradientsAreSkipped() {
        Tensor a = param(1), b = param(1), idle = param(1);
        try (SGD sgd = new SGD(List.of(ParamGroup.of(List.of(a)), ParamGroup.of(List.of(b, idle)).setLr(0.5)),
                SGD.options().lr(0.1).momentum(0.9))) {
            setGrad(a, 1);
            setGrad(b, 1);
            sgd.step();
            assertEquals(0.9, a.item(), 1e-7);
            assertEquals(0.5, b.item(), 1e-7);
            assertEquals(1, idle.item());
            assertTrue(sgd.stateDict().keySet().stream().noneMatch(k -> k.startsWith("state.2.")), "no state for a parameter never updated");
            assertEquals(0.9, sgd.paramGroups().get(1).get("momentum"), "a group takes what it does not set from the defaults");
        }
    }

    @Test
    void invalidOptionsAreRefusedWithTheirNames() {
        Tensor p = param(1);
        var nesterov = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), SGD.options().nesterov(true)));
        assertTrue(nesterov.getMessage().contains("Nesterov momentum requires a momentum and zero dampening"), nesterov.getMessage());
        var lr = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), SGD.options().lr(-1)));
        assertTrue(lr.getMessage().contains("invalid lr -1.0"), lr.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(ParamGroup.of(List.of(p)).set("betas", 0.9)), SGD.options()));
        assertTrue(unknown.getMessage().contains("unknown option 'betas'"), unknown.getMessage());
        var twice = assertThrows(IllegalArgumentException.class,
                () -> new SGD(List.of(ParamGroup.of(List.of(p)), ParamGroup.of(List.of(p))), SGD.options()));
        assertTrue(twice.getMessage().contains("appears in more than one parameter group"), twice.getMessage());
        var notLeaf = assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(Tensor.zeros(2)), SGD.options()));
        assertTrue(notLeaf.getMessage().contains("leaf tensors that require grad"), notLeaf.getMessage());
    }
}
