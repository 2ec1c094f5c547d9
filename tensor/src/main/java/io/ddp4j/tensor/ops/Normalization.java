package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

/**
 * Batch normalisation over dim 1 of [N, C, ...], written with differentiable primitives. In
 * training it normalises with the batch's biased variance and moves the running statistics
 * towards the batch's mean and unbiased variance by {@code momentum}, as PyTorch does.
 */
public final class Normalization {
    private Normalization() {}

    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        Checks.open("batch_norm", x);
        Checks.floatingPoint("batch_norm", x);
        x = Autocast.fp32(x);
        weight = Autocast.fp32(weight);
        bias = Autocast.fp32(bias);
        if (x.dim() < 2) throw new IllegalArgumentException("batch_norm: expected [N, C, ...], got " + x.describe());
        int c = x.shape()[1];
        int[] statShape = new int[x.dim()];
        java.util.Arrays.fill(statShape, 1);
        statShape[1] = c;
        int[] dims = new int[x.dim() - 1];
        dims[0] = 0;
        for (int d = 2; d < x.dim(); d++) dims[d - 1] = d;
        for (Tensor t : new Tensor[]{runningMean, runningVar, weight, bias}) {
            if (t == null) continue;
            Checks.compatible("batch_norm", x, t);
            if (t.dim() != 1 || t.shape()[0] != c)
                throw new IllegalArgumentException("batch_norm: " + t.describe() + " must be [" + c + "] for input " + x.describe());
        }
        Tensor mean, var;
        if (training) {
            long n = x.numel() / c;
            if (n <= 1) throw new IllegalArgumentException("batch_norm: training needs more than one value per channel, got " + x.describe());
            mean = x.mean(dims, true);
            var = x.var(dims, 0, true);
            if (runningMean != null && runningVar != null) {
                try (GradMode.Guard g = GradMode.noGrad()) {
                    runningMean.mulInPlace(1 - momentum).addInPlace(mean.reshape(c), momentum);
                    runningVar.mulInPlace(1 - momentum).addInPlace(var.reshape(c), momentum * n / (n - 1));
                }
            }
        } else {
            if (runningMean == null || runningVar == null)
                throw new IllegalArgumentException("batch_norm: evaluation needs running mean and variance for " + x.describe());
            mean = runningMean.reshape(statShape);
            var = runningVar.reshape(statShape);
        }
        Tensor y = x.sub(mean).div(var.add(eps).sqrt());
        if (weight != null) y = y.mul(weight.reshape(statShape));
        if (bias != null) y = y.add(bias.reshape(statShape));
        return y;
    }
}
