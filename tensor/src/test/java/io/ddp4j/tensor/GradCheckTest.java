package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.GradCheck;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.backend.Conv2dParams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every differentiable op's backward rule agrees with finite differences in F64. */
class GradCheckTest {
    private Generator gen;
    private Scope scope;

    @BeforeEach
    void open() {
        gen = new Generator(42);
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        scope.close();
    }

    private Tensor randn(int... shape) {
        return Tensor.randn(gen, DType.F64, shape);
    }

    /** Values in [lo, hi), away from kinks and poles. */
    private Tensor uniform(double lo, double hi, int... shape) {
        return Tensor.rand(gen, DType.F64, shape).mul(hi - lo).add(lo);
    }

    @Test
    void elementwiseBinaryOpsWithBroadcasting() {
        Tensor a = randn(2, 3, 4), b = randn(3, 1), c = uniform(0.5, 2, 4);
        GradCheck.check("add", x -> x[0].add(x[1]), a, b);
        GradCheck.check("sub", x -> x[0].sub(x[1]), b, a);
        GradCheck.check("mul", x -> x[0].mul(x[1]), a, c);
        GradCheck.check("div", x -> x[0].div(x[1]), a, c);
        GradCheck.check("pow tensor^tensor", x -> x[0].pow(x[1]), c, b);
        GradCheck.check("maximum", x -> x[0].maximum(x[1]), a, b);
        GradCheck.check("minimum", x -> x[0].minimum(x[1]), a, b);
        GradCheck.check("scalar ops", x -> x[0].add(1.5).sub(0.5).mul(3).div(2).pow(2.0), a);
        // piecewise linear in both operands; random points are far from the jumps at whole quotients
        GradCheck.check("remainder", x -> x[0].remainder(x[1]), a.mul(3), c);
        GradCheck.check("remainder by negatives", x -> x[0].remainder(x[1]), a.mul(3), c.neg());
        GradCheck.check("fmod", x -> x[0].fmod(x[1]), a.mul(3), c.neg());
        GradCheck.check("remainder and fmod by scalars", x -> x[0].remainder(1.5).fmod(-0.7), a.mul(3));
    }

    @Test
    void elementwiseUnaryOps() {
        Tensor x = randn(3, 4), pos = uniform(0.2, 3, 3, 4);
        // move values away from 0 so relu/abs/clamp are differentiable at every sample point
        Tensor away = x.add(x.ge(0).to(DType.F64).mul(0.2).sub(0.1));
        GradCheck.check("neg", t -> t[0].neg(), x);
        GradCheck.check("exp", t -> t[0].exp(), x);
        GradCheck.check("log", t -> t[0].log(), pos);
        GradCheck.check("sqrt", t -> t[0].sqrt(), pos);
        GradCheck.check("abs", t -> t[0].abs(), away);
        GradCheck.check("relu", t -> t[0].relu(), away);
        GradCheck.check("gelu", t -> t[0].gelu(), x);
        GradCheck.check("sigmoid", t -> t[0].sigmoid(), x);
        GradCheck.check("tanh", t -> t[0].tanh(), x);
        GradCheck.check("clamp", t -> t[0].clamp(-0.55, 0.45), away);
        GradCheck.check("where", t -> Tensor.where(t[0].gt(0), t[0].mul(2), t[1]), x, randn(4));
        GradCheck.check("to f32 and back", new GradCheck.Tolerance(1e-3, 1e-3, 1e-3), t -> t[0].to(DType.F32).to(DType.F64),
                Tensor.fromArray(new double[]{0.5, -1.25, 2}));
    }

    @Test
    void reductions() {
        Tensor x = randn(2, 3, 4);
        GradCheck.check("sum all", t -> t[0].sum(), x);
        GradCheck.check("sum dims", t -> t[0].sum(new int[]{0, 2}, false), x);
        GradCheck.check("sum keepdim", t -> t[0].sum(-1, true), x);
        GradCheck.check("mean", t -> t[0].mean(1, false), x);
        GradCheck.check("mean all", t -> t[0].mean(), x);
        GradCheck.check("max dim", t -> t[0].max(2, false), x);
        GradCheck.check("max all", t -> t[0].max(), x);
        GradCheck.check("var", t -> t[0].var(new int[]{1}, false), x);
        GradCheck.check("var biased keepdim", t -> t[0].var(new int[]{0, 2}, 0, true), x);
    }

    @Test
    void viewsAndContiguousCopies() {
        Tensor x = randn(2, 3, 4);
        GradCheck.check("reshape", t -> t[0].reshape(4, -1).mul(t[0].reshape(4, 6)), x);
        GradCheck.check("view", t -> t[0].view(6, 4).exp(), x);
        GradCheck.check("transpose then reshape (copy)", t -> t[0].transpose(0, 2).reshape(-1).exp(), x);
        GradCheck.check("permute", t -> t[0].permute(2, 0, 1).contiguous().exp(), x);
        GradCheck.check("narrow", t -> t[0].narrow(1, 1, 2).mul(2), x);
        GradCheck.check("slice", t -> t[0].slice(2, 1, 3).exp(), x);
        GradCheck.check("squeeze/unsqueeze", t -> t[0].unsqueeze(1).squeeze(1).unsqueeze(0).squeeze(), x);
        GradCheck.check("expand", t -> t[0].expand(3, 2, 4).mul(t[1]), randn(2, 1), randn(3, 2, 4));
        GradCheck.check("flatten", t -> t[0].flatten(1, 2).tanh(), x);
    }

    @Test
    void matmulInAllShapes() {
        GradCheck.check("matrix x matrix", t -> t[0].matmul(t[1]), randn(3, 4), randn(4, 2));
        GradCheck.check("vector x matrix", t -> t[0].matmul(t[1]), randn(4), randn(4, 2));
        GradCheck.check("matrix x vector", t -> t[0].matmul(t[1]), randn(3, 4), randn(4));
        GradCheck.check("vector x vector", t -> t[0].matmul(t[1]), randn(4), randn(4));
        GradCheck.check("batched with broadcast", t -> t[0].matmul(t[1]), randn(2, 3, 4), randn(4, 5));
        GradCheck.check("batched both broadcast", t -> t[0].matmul(t[1]), randn(2, 1, 3, 4), randn(3, 4, 2));
        GradCheck.check("transposed operand", t -> t[0].t().matmul(t[1]), randn(4, 3), randn(4, 2));
    }

    @Test
    void linearAndSoftmaxFamily() {
        GradCheck.check("linear", t -> Functional.linear(t[0], t[1], t[2]), randn(2, 3, 4), randn(5, 4), randn(5));
        GradCheck.check("linear without bias", t -> Functional.linear(t[0], t[1], null), randn(3, 4), randn(2, 4));
        GradCheck.check("linear on a transposed input", t -> Functional.linear(t[0].t(), t[1], null), randn(4, 3), randn(2, 4));
        GradCheck.check("softmax", t -> t[0].softmax(1), randn(3, 5));
        GradCheck.check("log_softmax", t -> t[0].logSoftmax(-1), randn(3, 5));
        Tensor targets = Tensor.fromArray(new long[]{2, 0, 4});
        GradCheck.check("cross_entropy", t -> Functional.crossEntropy(t[0], targets), randn(3, 5));
        GradCheck.check("cross_entropy smoothed", t -> Functional.crossEntropy(t[0], targets, 0.2), randn(3, 5));
    }

    @Test
    void convolutionAndPooling() {
        GradCheck.check("conv2d", t -> Functional.conv2d(t[0], t[1], t[2], 1, 1), randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4));
        GradCheck.check("conv2d stride/dilation/groups", t -> Functional.conv2d(t[0], t[1], null,
                new Conv2dParams(2, 1, 1, 0, 2, 1, 2)), randn(1, 4, 7, 6), randn(6, 2, 2, 3));
        // distinct values so the max of every window is unique
        double[] scrambled = new double[50];
        for (int i = 0; i < 50; i++) scrambled[i] = ((i * 17) % 50) * 0.1;
        Tensor distinct = Tensor.fromArray(scrambled, 1, 2, 5, 5);
        GradCheck.check("max_pool2d", t -> Functional.maxPool2d(t[0], 2, 2, 0), distinct);
        GradCheck.check("max_pool2d overlapping padded", t -> Functional.maxPool2d(t[0], 3, 2, 1), distinct);
        GradCheck.check("avg_pool2d", t -> Functional.avgPool2d(t[0], 3, 2, 1), randn(2, 2, 5, 5));
    }

    @Test
    void normalizationDropoutAndIndexing() {
        GradCheck.check("batch_norm training", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1, 1e-5),
                randn(4, 3, 2, 2), randn(3), randn(3));
        Tensor runMean = randn(3), runVar = uniform(0.5, 2, 3);
        GradCheck.check("batch_norm eval", t -> Functional.batchNorm(t[0], runMean, runVar, t[1], t[2], false, 0.1, 1e-5),
                randn(4, 3), randn(3), randn(3));
        GradCheck.check("dropout (same mask each call)", t -> Functional.dropout(t[0], 0.3, true, new Generator(5)), randn(4, 5));
        GradCheck.check("cat", t -> Functional.cat(List.of(t[0], t[1], t[0]), 1), randn(2, 3), randn(2, 2));
        GradCheck.check("stack", t -> Functional.stack(List.of(t[0], t[1]), 0), randn(2, 3), randn(2, 3));
        Tensor idx = Tensor.fromArray(new long[]{2, 0, 2, 1});
        GradCheck.check("index_select with repeats", t -> Functional.indexSelect(t[0], 1, idx), randn(2, 3, 2));
        GradCheck.check("embedding", t -> Functional.embedding(Tensor.fromArray(new long[]{1, 3, 1, 0}, 2, 2), t[0]), randn(4, 3));
    }

    @Test
    void theCheckerCatchesAWrongRule() {
        // a correct forward whose gradient is knowingly dropped through detach(): the checker must notice
        assertThrows(AssertionError.class, () -> GradCheck.check("detached", t -> t[0].mul(t[0].detach()), randn(3)));
    }
}
