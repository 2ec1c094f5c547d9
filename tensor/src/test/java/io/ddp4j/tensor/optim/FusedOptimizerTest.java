package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.MultiTensorUpdates;
import io.ddp4j.tensor.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On the CPU, SGD takes a fused one-pass loop and Adam the per-tensor path; either way the fused
 * switch changes no bit of the result.
 */
class FusedOptimizerTest {
    /** One element, a few, a few hundred, and more than one parallel piece (32 Ki elements). */
    private static final int[] SIZES = {1, 7, 300, 70001};

    static List<Tensor> params(Generator gen, int... sizes) {
        List<Tensor> ps = new ArrayList<>();
        for (int n : sizes) ps.add(Tensor.randn(gen, n).keep().setRequiresGrad(true));
        return ps;
    }

    /**
     * Runs {@code steps} steps with the same random gradients; returns the parameters' values. The
     * gradients live in one flat buffer, each a view at its own offset (as DDP's bucket views do),
     * and the third parameter has no gradient on odd steps (skipped: its momentum waits).
     */
    static float[][] run(Function<List<Tensor>, Optimizer> make, boolean fused, int steps) {
        Generator gen = new Generator(5);
        List<Tensor> ps = params(gen, SIZES);
        int total = 0;
        for (int n : SIZES) total += n;
        try (Optimizer opt = make.apply(ps); Tensor flat = Tensor.zeros(total + 3).keep()) {
            opt.setFused(fused);
            for (int s = 0; s < steps; s++) {
                try (Scope scope = Scope.open()) {
                    flat.copyFrom(Tensor.randn(gen, total + 3));
                    int at = 3;
                    for (int i = 0; i < ps.size(); i++) {
                        Tensor p = ps.get(i), old = p.grad();
                        p.setGrad(i == 2 && s % 2 == 1 ? null : flat.slice(0, at, at + SIZES[i]).keep());
                        if (old != null) old.close();
                        at += SIZES[i];
                    }
                    opt.step();
                }
            }
            for (Tensor p : ps) {
                Tensor old = p.grad();
                p.setGrad(null);
                if (old != null) old.close();
            }
        }
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) out[i] = ps.get(i).toFloatArray();
        return out;
    }

    @Test
    void theFusedSwitchChangesNoBitOfAnyOptimizersResult() {
        List<Function<List<Tensor>, Optimizer>> makers = List.of(
                ps -> new SGD(ps, SGD.options().lr(0.1)),
                ps -> new SGD(ps, SGD.options().lr(0.1).momentum(0.9)),
                ps -> new SGD(ps, SGD.options().lr(0.1).momentum(0.9).weightDecay(1e-2).nesterov(true)),
                ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.5).dampening(0.3).maximize(true)),
                ps -> new SGD(ps, SGD.options().lr(0.01).weightDecay(5e-4).maximize(true)),
                ps -> new SGD(ps, SGD.options().lr(0).momentum(0.99)),
                ps -> new Adam(ps, Adam.options().lr(1e-2).weightDecay(1e-3)),
                ps -> new AdamW(ps, AdamW.options().lr(1e-2)));
        for (int m = 0; m < makers.size(); m++) {
            float[][] fused = run(makers.get(m), true, 5), plain = run(makers.get(m), false, 5);
            for (int i = 0; i < fused.length; i++) {
                int[] f = bits(fused[i]), p = bits(plain[i]);
                assertArrayEquals(p, f, "optimizer " + m + ", parameter " + i + " (" + SIZES[i] + " elements)");
            }
        }
        try (SGD sgd = new SGD(params(new Generator(1), 2), SGD.options())) {
            assertTrue(sgd.isFused());
            assertFalse(sgd.setFused(false).isFused());
        }
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    @Test
    void cpuParametersTakeTheFusedPathForSgdOnly() {
        Generator gen = new Generator(2);
        List<Tensor> ps = params(gen, 3);
        ps.get(0).setGrad(Tensor.ones(3).keep());
        assertSame(CpuBackend.INSTANCE, Fused.backendFor(ps, MultiTensorUpdates.Kind.SGD));
        assertNull(Fused.backendFor(ps, MultiTensorUpdates.Kind.ADAM));
        assertNull(Fused.backendFor(List.of(), MultiTensorUpdates.Kind.SGD));
        // a float64 parameter: the per-tensor path
        Tensor d = Tensor.randn(gen, 3).to(io.ddp4j.tensor.DType.F64).keep().setRequiresGrad(true);
        d.setGrad(Tensor.ones(3).to(io.ddp4j.tensor.DType.F64).keep());
        assertNull(Fused.backendFor(List.of(d), MultiTensorUpdates.Kind.SGD));
    }
}
