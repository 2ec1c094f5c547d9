package io.ddp4j.tensor.optim;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.MultiTensorUpdates;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fused multi-tensor kernels (optim_fused.cu) against the per-tensor path on the same GPU, bit
 * for bit, and against the CPU reference: odd sizes that end mid-chunk, several steps, every option.
 */
@Tag("gpu")
class FusedOptimizerGpuTest {
    private static final Device CUDA = Device.cuda(0);
    /** 1, a chunk and one, several chunks, a matrix: chunk boundaries and tails. */
    private static final int[][] SHAPES = {{1}, {65537}, {3, 70001}, {17, 5}};

    @BeforeEach
    void gpu() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
    }

    /** The parameters after {@code steps} steps on {@code device}, with the same seeded gradients every run. */
    private static float[][] run(Function<List<Tensor>, Optimizer> make, Device device, boolean fused, int steps) {
        Generator gen = new Generator(11);
        List<Tensor> ps = new ArrayList<>();
        for (int[] s : SHAPES) ps.add(Tensor.randn(gen, s).to(device).keep().setRequiresGrad(true));
        try (Optimizer opt = make.apply(ps)) {
            opt.setFused(fused);
            for (int step = 0; step < steps; step++) {
                try (Scope scope = Scope.open()) {
                    for (int i = 0; i < ps.size(); i++) {
                        Tensor p = ps.get(i);
                        Tensor old = p.grad();
                        // the third parameter gets no gradient on odd steps: skipped, its state and step count wait
                        if (i == 2 && step % 2 == 1) {
                            p.setGrad(null);
                        } else {
                            p.setGrad(Tensor.randn(gen, p.shape()).to(device).keep());
                        }
                        if (old != null) old.close();
                    }
                    opt.step();
                }
            }
        }
        float[][] out = new float[ps.size()][];
        for (int i = 0; i < ps.size(); i++) {
            out[i] = ps.get(i).toFloatArray();
            ps.get(i).close();
        }
        return out;
    }

    private static List<Function<List<Tensor>, Optimizer>> optimizers() {
        return List.of(
                ps -> new SGD(ps, SGD.options().lr(0.1)),
                ps -> new SGD(ps, SGD.options().lr(0.1).momentum(0.9)),
                ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.8).dampening(0.25).weightDecay(1e-2)),
                ps -> new SGD(ps, SGD.options().lr(0.05).momentum(0.9).nesterov(true).weightDecay(5e-4).maximize(true)),
                ps -> new Adam(ps, Adam.options().lr(1e-2)),
                ps -> new Adam(ps, Adam.options().lr(3e-3).betas(0.8, 0.99).eps(1e-6).weightDecay(1e-2).maximize(true)),
                ps -> new AdamW(ps, AdamW.options().lr(1e-2)),
                ps -> new AdamW(ps, AdamW.options().lr(1e-3).weightDecay(0.1)));
    }

    @Test
    void theCudaBackendOffersTheFusedPath() {
        assertTrue(Backends.forDevice(CUDA) instanceof MultiTensorUpdates);
        try (Scope s = Scope.open()) {
            Tensor p = Tensor.ones(3).to(CUDA).setRequiresGrad(true);
            p.setGrad(Tensor.ones(3).to(CUDA));
            assertNotNull(Fused.backendFor(List.of(p), MultiTensorUpdates.Kind.SGD));
            assertNotNull(Fused.backendFor(List.of(p), MultiTensorUpdates.Kind.ADAM));
        }
    }

    @Test
    void fusedEqualsPerTensorBitForBitAfterSeveralSteps() {
        int k = 0;
        for (Function<List<Tensor>, Optimizer> make : optimizers()) {
            float[][] fused = run(make, CUDA, true, 5), perTensor = run(make, CUDA, false, 5);
            for (int i = 0; i < fused.length; i++)
                for (int j = 0; j < fused[i].length; j++)
                    if (Float.floatToRawIntBits(fused[i][j]) != Float.floatToRawIntBits(perTensor[i][j]))
                        throw new AssertionError("optimizer " + k + ", param " + i + ", element " + j + ": fused " + fused[i][j] + " per-tensor " + perTensor[i][j]);
            k++;
        }
    }

    @Test
    void fusedMatchesTheCpuReference() {
        int k = 0;
        for (Function<List<Tensor>, Optimizer> make : optimizers()) {
            float[][] fused = run(make, CUDA, true, 5), cpu = run(make, Device.CPU, false, 5);
            for (int i = 0; i < fused.length; i++)
                for (int j = 0; j < fused[i].length; j++)
                    assertEquals(cpu[i][j], fused[i][j], 1e-6 * Math.max(1, Math.abs(cpu[i][j])), "optimizer " + k + ", param " + i + ", element " + j);
            k++;
        }
    }
}
