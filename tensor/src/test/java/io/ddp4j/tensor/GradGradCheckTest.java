package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.GradCheck;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Every differentiable op's backward rule is itself differentiable, and its derivative (the op's
 * second derivative) agrees with finite differences of the first, in F64: what createGraph and
 * higher-order gradients stand on. The cases follow {@link GradCheckTest}'s.
 */
@ExtendWith(ScopePerTest.class)
class GradGradCheckTest {
    private final Generator gen = new Generator(43);

    private Tensor randn(int... shape) {
        return Tensor.randn(gen, DType.F64, shape);
    }

    private Tensor uniform(double lo, double hi, int... shape) {
        return Tensor.rand(gen, DType.F64, shape).mul(hi - lo).add(lo);
    }

    @Test
    void elementwiseBinaryOpsWithBroadcasting() {
        Tensor a = randn(2, 3, 4), b = randn(3, 1), c = uniform(0.5, 2, 4);
        GradCheck.checkSecondOrder("add", x -> x[0].add(x[1]), a, b);
        GradCheck.checkSecondOrder("sub", x -> x[0].sub(x[1]), b, a);
        GradCheck.checkSecondOrder("mul", x -> x[0].mul(x[1]), a, c);
        GradCheck.checkSecondOrder("square", x -> x[0].mul(x[0]), a);
        GradCheck.checkSecondOrder("div", x -> x[0].div(x[1]), a, c);
        GradCheck.checkSecondOrder("pow tensor^tensor", x -> x[0].pow(x[1]), c, b);
        GradCheck.checkSecondOrder("maximum", x -> x[0].maximum(x[1]).mul(x[0]), a, b);
        GradCheck.checkSecondOrder("minimum", x -> x[0].minimum(x[1]).mul(x[1]), a, b);
        GradCheck.checkSecondOrder("scalar ops", x -> x[0].add(1.5).sub(0.5).mul(3).div(2).pow(3.0), a);
        GradCheck.checkSecondOrder("remainder", x -> x[0].remainder(x[1]).mul(x[1]), a.mul(3), c);
        GradCheck.checkSecondOrder("fmod", x -> x[0].fmod(x[1]).mul(x[0]), a.mul(3), c.neg());
    }

    @Test
    void elementwiseUnaryOps() {
        Tensor x = randn(3, 4), pos = uniform(0.2, 3, 3, 4);
        Tensor away = x.add(x.ge(0).to(DType.F64).mul(0.2).sub(0.1));
        GradCheck.checkSecondOrder("neg", t -> t[0].neg().mul(t[0]), x);
        GradCheck.checkSecondOrder("exp", t -> t[0].exp(), x);
        GradCheck.checkSecondOrder("log", t -> t[0].log(), pos);
        GradCheck.checkSecondOrder("sqrt", t -> t[0].sqrt(), pos);
        GradCheck.checkSecondOrder("abs", t -> t[0].abs().mul(t[0]), away);
        GradCheck.checkSecondOrder("relu", t -> t[0].relu().mul(t[0]), away);
        GradCheck.checkSecondOrder("gelu", t -> t[0].gelu(), x);
        GradCheck.checkSecondOrder("sigmoid", t -> t[0].sigmoid(), x);
        GradCheck.checkSecondOrder("tanh", t -> t[0].tanh(), x);
        GradCheck.checkSecondOrder("clamp", t -> t[0].clamp(-0.55, 0.45).pow(2.0), away);
        GradCheck.checkSecondOrder("where", t -> Tensor.where(t[0].gt(0), t[0].mul(t[0]), t[1].exp()), x, randn(4));
        GradCheck.checkSecondOrder("to f32 and back", new GradCheck.Tolerance(1e-3, 1e-3, 1e-3),
                t -> t[0].to(DType.F32).to(DType.F64).pow(2.0), Tensor.fromArray(new double[]{0.5, -1.25, 2}));
    }

    @Test
    void reductions() {
        Tensor x = randn(2, 3, 4);
        GradCheck.checkSecondOrder("sum of squares", t -> t[0].mul(t[0]).sum(new int[]{0, 2}, false), x);
        GradCheck.checkSecondOrder("mean", t -> t[0].exp().mean(1, false), x);
        GradCheck.checkSecondOrder("max dim", t -> t[0].max(2, false).pow(2.0), x);
        GradCheck.checkSecondOrder("var", t -> t[0].var(new int[]{1}, false), x);
        GradCheck.checkSecondOrder("var biased keepdim", t -> t[0].var(new int[]{0, 2}, 0, true), x);
    }

    @Test
    void viewsAndCopies() {
        Tensor x = randn(2, 3, 4);
        GradCheck.checkSecondOrder("reshape", t -> t[0].reshape(4, -1).mul(t[0].reshape(4, 6)), x);
        GradCheck.checkSecondOrder("transpose then reshape (copy)", t -> t[0].transpose(0, 2).reshape(-1).exp(), x);
        GradCheck.checkSecondOrder("permute", t -> t[0].permute(2, 0, 1).contiguous().exp(), x);
        GradCheck.checkSecondOrder("narrow", t -> t[0].narrow(1, 1, 2).pow(3.0), x);
        GradCheck.checkSecondOrder("slice", t -> t[0].slice(2, 1, 3).exp(), x);
        GradCheck.checkSecondOrder("expand", t -> t[0].expand(3, 2, 4).mul(t[1]).mul(t[0]), randn(2, 1), randn(3, 2, 4));
        GradCheck.checkSecondOrder("clone", t -> t[0].clone().mul(t[0]), x);
    }

    @Test
    void matmulAndLinear() {
        GradCheck.checkSecondOrder("matrix x matrix", t -> t[0].matmul(t[1]), randn(3, 4), randn(4, 2));
        GradCheck.checkSecondOrder("vector x matrix", t -> t[0].matmul(t[1]), randn(4), randn(4, 2));
        GradCheck.checkSecondOrder("batched with broadcast", t -> t[0].matmul(t[1]), randn(2, 3, 4), randn(4, 5));
        GradCheck.checkSecondOrder("linear then tanh", t -> Functional.linear(t[0], t[1], t[2]).tanh(), randn(2, 3, 4), randn(5, 4), randn(5));
        GradCheck.checkSecondOrder("softmax", t -> t[0].softmax(1), randn(3, 5));
        GradCheck.checkSecondOrder("log_softmax", t -> t[0].logSoftmax(-1), randn(3, 5));
        Tensor targets = Tensor.fromArray(new long[]{2, 0, 4});
        GradCheck.checkSecondOrder("cross_entropy", t -> Functional.crossEntropy(t[0], targets), randn(3, 5));
        GradCheck.checkSecondOrder("cross_entropy smoothed", t -> Functional.crossEntropy(t[0], targets, 0.2), randn(3, 5));
    }

    @Test
    void convolutionAndPooling() {
        // tanh after the convolution: conv2d is bilinear, so without it only the mixed x-w terms would be checked
        GradCheck.checkSecondOrder("conv2d", t -> Functional.conv2d(t[0], t[1], t[2], 1, 1).tanh(),
                randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4));
        GradCheck.checkSecondOrder("conv2d stride/dilation/groups", t -> Functional.conv2d(t[0], t[1], null,
                new Conv2dParams(2, 1, 1, 0, 2, 1, 2)).tanh(), randn(1, 4, 7, 6), randn(6, 2, 2, 3));
        double[] scrambled = new double[50];
        for (int i = 0; i < 50; i++) scrambled[i] = ((i * 17) % 50) * 0.1;
        Tensor distinct = Tensor.fromArray(scrambled, 1, 2, 5, 5);
        GradCheck.checkSecondOrder("max_pool2d", t -> Functional.maxPool2d(t[0], 2, 2, 0).pow(2.0), distinct);
        GradCheck.checkSecondOrder("max_pool2d overlapping padded", t -> Functional.maxPool2d(t[0].mul(t[0]), 3, 2, 1).exp(), distinct.mul(0.3));
        GradCheck.checkSecondOrder("avg_pool2d", t -> Functional.avgPool2d(t[0], 3, 2, 1).tanh(), randn(2, 2, 5, 5));
        GradCheck.checkSecondOrder("a small CNN's loss", t -> Functional.crossEntropy(
                Functional.linear(Functional.maxPool2d(Functional.conv2d(t[0], t[1], null, 1, 1).tanh(), 2, 2, 0).reshape(2, -1), t[2], null),
                Tensor.fromArray(new long[]{1, 0})).reshape(1), randn(2, 1, 4, 4), randn(2, 1, 3, 3), randn(2, 8));
    }

    @Test
    void normalizationDropoutAndIndexing() {
        GradCheck.checkSecondOrder("batch_norm training", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5),
                randn(4, 3, 2, 2), randn(3), randn(3));
        GradCheck.checkSecondOrder("dropout (same mask each call)", t -> Functional.dropout(t[0], 0.3, true, new Generator(5)).pow(2.0), randn(4, 5));
        GradCheck.checkSecondOrder("cat", t -> Functional.cat(List.of(t[0], t[1], t[0]), 1).pow(2.0), randn(2, 3), randn(2, 2));
        Tensor idx = Tensor.fromArray(new long[]{2, 0, 2, 1});
        GradCheck.checkSecondOrder("index_select with repeats", t -> Functional.indexSelect(t[0], 1, idx).pow(2.0), randn(2, 3, 2));
        GradCheck.checkSecondOrder("embedding", t -> Functional.embedding(Tensor.fromArray(new long[]{1, 3, 1, 0}, 2, 2), t[0]).exp(), randn(4, 3));
    }

    @Test
    void theCheckerCatchesARuleThatIsNotDifferentiable() {
        // x^3 with a right first derivative computed off the graph, as a backward-only kernel would be:
        // the first order passes, the second sees no derivative of 3x^2 and says so
        Function<Tensor[], Tensor> cube = t -> {
            Tensor x = t[0], out;
            try (GradMode.Guard off = GradMode.noGrad()) {
                out = x.mul(x).mul(x);
            }
            return Autograd.record("cube", out, (g, needs) -> {
                try (GradMode.Guard off = GradMode.noGrad()) {
                    return new Tensor[]{g.mul(x.mul(x).mul(3))};
                }
            }, x);
        };
        Tensor x = randn(3);
        GradCheck.check("cube", cube, x);
        assertThrows(AssertionError.class, () -> GradCheck.checkSecondOrder("cube", cube, x));
    }
}
