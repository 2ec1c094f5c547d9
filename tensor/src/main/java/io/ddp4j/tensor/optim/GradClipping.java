package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

/** Gradient clipping, PyTorch's {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClipping {
    private GradClipping() {}

    /** {@link #clipGradNorm(Iterable, double, double)} with the 2-norm. */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm) {
        return clipGradNorm(params, maxNorm, 2);
    }

    /**
     * Scales all gradients together so that their total norm is at most {@code maxNorm}, and
     * returns the total norm before scaling. As in PyTorch: total = norm of the per-tensor norms
     * (the max for an infinite norm type), coefficient = min(1, maxNorm / (total + 1e-6)), every
     * gradient multiplied by it in place. Parameters without a gradient are skipped.
     */
    public static double clipGradNorm(Iterable<Tensor> params, double maxNorm, double normType) {
        if (!(normType == 2 || normType == Double.POSITIVE_INFINITY))
            throw new IllegalArgumentException("clipGradNorm: norm type must be 2 or infinity, got " + normType);
        if (!(maxNorm >= 0)) throw new IllegalArgumentException("clipGradNorm: max norm must be >= 0, got " + maxNorm);
        double total = 0;
        try (Scope s = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            for (Tensor p : params) {
                Tensor grad = p.grad();
                if (grad == null) continue;
                if (normType == 2) {
                    double n = Math.sqrt(grad.mul(grad).sum().item());
                    total += n * n;
                } else {
                    total = Math.max(total, grad.abs().max().item());
                }
            }
            if (normType == 2) total = Math.sqrt(total);
            double coef = Math.min(1, maxNorm / (total + 1e-6));
            for (Tensor p : params) if (p.grad() != null) p.grad().mulInPlace(coef);
        }
        return total;
    }
}
