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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On the CPU, SGD, Adam and AdamW take a fused one-pass loop; the fused switch changes no bit of the
 * result (raw float bits compared, so a single rounding done differently fails).
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
        return run(make, fused, steps, 1);
    }

    /** As above with every gradient scaled by {@code gradScale} (tiny: subnormal squares; huge: infinite ones). */
    static float[][] run(Function<List<Tensor>, Optimizer> make, boolean fused, int steps, double gradScale) {
        Generator gen = new Generator(5);
        List<Tensor> ps = params(gen, SIZES);
        int total = 0;
        for (int n : SIZES) total += n;
        try (Optimizer opt = make.apply(ps); Tensor flat = Tensor.zeros(total + 3).keep()) {
            opt.setFused(fused);
            for (int s = 0; s < steps; s++) {
                try (Scope scope = Scope.open()) {
                    flat.copyFrom(Tensor.randn(gen, total + 3).mul(gradScale));
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
                ps -> new SGD(ps, SGD.options().lr(0).momentum(0.99)));
        for (int m = 0; m < makers.size(); m++) assertSameBits(makers.get(m), "SGD optimizer " + m, 5, 1);
        try (SGD sgd = new SGD(params(new Generator(1), 2), SGD.options())) {
            assertTrue(sgd.isFused());
            assertFalse(sgd.setFused(false).isFused());
        }
    }

    /** Adam's and AdamW's settings: every flag, the alpha-of-one shortcuts (beta = 0), lr 0, odd betas and eps. */
    static List<Function<List<Tensor>, Optimizer>> adamSettings() {
        return List.of(
                ps -> new Adam(ps, Adam.options()),
                ps -> new Adam(ps, Adam.options().lr(1e-2).weightDecay(1e-3)),
                ps -> new Adam(ps, Adam.options().lr(3e-2).betas(0.8, 0.99).eps(1e-6).weightDecay(0.1).maximize(true)),
                ps -> new Adam(ps, Adam.options().lr(0.1).betas(0, 0.5).eps(1e-3)),
                ps -> new Adam(ps, Adam.options().lr(0.1).betas(0.95, 0).eps(1e-12).maximize(true)),
                ps -> new Adam(ps, Adam.options().lr(0).weightDecay(1e-2)),
                ps -> new AdamW(ps, AdamW.options()),
                ps -> new AdamW(ps, AdamW.options().lr(3e-3).betas(0.95, 0.9999).eps(1e-10).weightDecay(0.1).maximize(true)),
                ps -> new AdamW(ps, AdamW.options().lr(1e-2).weightDecay(0)),
                ps -> new AdamW(ps, AdamW.options().lr(0.5).betas(0, 0).weightDecay(1.5)),
                // two groups with their own options: each its own fused update
                ps -> new AdamW(List.of(ParamGroup.of(ps.subList(0, 2)).set("lr", 0.2).set("beta1", 0.5),
                        ParamGroup.of(ps.subList(2, ps.size())).set("weight_decay", 0.3).set("maximize", true)), AdamW.options().lr(1e-3)));
    }

    @Test
    void theFusedSwitchChangesNoBitOfAdamsOrAdamWsResult() {
        List<Function<List<Tensor>, Optimizer>> settings = adamSettings();
        for (int m = 0; m < settings.size(); m++) assertSameBits(settings.get(m), "Adam setting " + m, 6, 1);
    }

    @Test
    void adamsFusedLoopRoundsTinyAndHugeGradientsAsThePerTensorPath() {
        List<Function<List<Tensor>, Optimizer>> settings = adamSettings();
        for (double scale : new double[]{1e-21, 1e-30, 1e20})
            for (int m : new int[]{1, 3, 7}) assertSameBits(settings.get(m), "Adam setting " + m + ", gradients x " + scale, 4, scale);
    }

    /** The fused run really is fused: the per-tensor update is never called. */
    @Test
    void cpuAdamAndAdamWNeverFallBackToThePerTensorUpdate() {
        int[] perTensorCalls = new int[1];
        for (boolean decoupled : new boolean[]{false, true}) {
            run(ps -> new Adam(List.of(ParamGroup.of(ps)), Adam.options().weightDecay(0.1), decoupled) {
                @Override
                protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
                    perTensorCalls[0]++;
                    super.update(group, param, grad, state);
                }
            }, true, 3);
        }
        assertEquals(0, perTensorCalls[0]);
    }

    private static void assertSameBits(Function<List<Tensor>, Optimizer> make, String what, int steps, double gradScale) {
        float[][] fused = run(make, true, steps, gradScale), plain = run(make, false, steps, gradScale);
        for (int i = 0; i < fused.length; i++)
            assertArrayEquals(bits(plain[i]), bits(fused[i]), what + ", parameter " + i + " (" + SIZES[i] + " elements)");
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    @Test
    void cpuFloat32ParametersTakeTheFusedPathForSgdAndAdam() {
        Generator gen = new Generator(2);
        List<Tensor> ps = params(gen, 3);
        ps.get(0).setGrad(Tensor.ones(3).keep());
        assertSame(CpuBackend.INSTANCE, Fused.backendFor(ps, MultiTensorUpdates.Kind.SGD));
        assertSame(CpuBackend.INSTANCE, Fused.backendFor(ps, MultiTensorUpdates.Kind.ADAM));
        assertNull(Fused.backendFor(List.of(), MultiTensorUpdates.Kind.SGD));
        // a float64 parameter: the per-tensor path
        Tensor d = Tensor.randn(gen, 3).to(io.ddp4j.tensor.DType.F64).keep().setRequiresGrad(true);
        d.setGrad(Tensor.ones(3).to(io.ddp4j.tensor.DType.F64).keep());
        assertNull(Fused.backendFor(List.of(d), MultiTensorUpdates.Kind.SGD));
        assertNull(Fused.backendFor(List.of(d), MultiTensorUpdates.Kind.ADAM));
    }
}
