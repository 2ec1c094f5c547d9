package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** On the CPU the fused switch changes nothing: the per-tensor path runs either way. */
class FusedOptimizerTest {

    static List<Tensor> params(Generator gen, int... sizes) {
        List<Tensor> ps = new ArrayList<>();
        for (int n : sizes) ps.add(Tensor.randn(gen, n).keep().setRequiresGrad(true));
        return ps;
    }

    /** Runs {@code steps} steps with the same random gradients; returns the parameters' values. */
    static float[][] run(Function<List<Tensor>, Optimizer> make, boolean fused, int steps) {
        Generator gen = new Generator(5);
        List<Tensor> ps = params(gen, 1, 7, 300);
        try (Optimizer opt = make.apply(ps)) {
            opt.setFused(fused);
            for (int s = 0; s < steps; s++) {
                try (Scope scope = Scope.open()) {
                    for (Tensor p : ps) {
                        Tensor old = p.grad();
                        p.setGrad(Tensor.randn(gen, p.shape()).keep());
                        if (old != null) old.close();
                    }
                    opt.step();
                }
            }
        }
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) out[i] = ps.get(i).toFloatArray();
        return out;
    }

    @Test
    void fusedIsOnByDefaultAndTheCpuPathIsUnchanged() {
        List<Function<List<Tensor>, Optimizer>> makers = List.of(
                ps -> new SGD(ps, SGD.options().lr(0.1).momentum(0.9).weightDecay(1e-2).nesterov(true)),
                ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.5).dampening(0.3).maximize(true)),
                ps -> new Adam(ps, Adam.options().lr(1e-2).weightDecay(1e-3)),
                ps -> new AdamW(ps, AdamW.options().lr(1e-2)));
        for (Function<List<Tensor>, Optimizer> make : makers) {
            float[][] fused = run(make, true, 4), plain = run(make, false, 4);
            for (int i = 0; i < fused.length; i++) assertArrayEquals(plain[i], fused[i], 0f);
        }
        try (SGD sgd = new SGD(params(new Generator(1), 2), SGD.options())) {
            assertTrue(sgd.isFused());
            assertFalse(sgd.setFused(false).isFused());
        }
    }

    @Test
    void cpuParametersNeverTakeTheFusedPath() {
        Generator gen = new Generator(2);
        List<Tensor> ps = params(gen, 3);
        ps.get(0).setGrad(Tensor.ones(3).keep());
        assertTrue(Fused.backendFor(ps) == null);
        assertTrue(Fused.backendFor(List.of()) == null);
    }
}
