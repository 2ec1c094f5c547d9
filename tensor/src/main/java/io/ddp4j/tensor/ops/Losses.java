package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.Backends;

/** Fused softmax cross entropy (mean over the batch) with optional label smoothing. */
public final class Losses {
    private Losses() {}

    public static Tensor crossEntropy(Tensor logits, Tensor targets, double labelSmoothing) {
        Checks.open("cross_entropy", logits, targets);
        Checks.sameDevice("cross_entropy", logits, targets);
        Checks.floatingPoint("cross_entropy", logits);
        logits = Autocast.fp32(logits);
        Checks.rank("cross_entropy", logits, 2, "[N, C] for the logits");
        if (targets.dtype() != DType.I64)
            throw new IllegalArgumentException("cross_entropy: targets must be int64 class indices, got " + targets.describe());
        if (targets.dim() != 1 || targets.shape()[0] != logits.shape()[0])
            throw new IllegalArgumentException("cross_entropy: targets " + targets.describe() + " must be [N] for logits " + logits.describe());
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new IllegalArgumentException("cross_entropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        if (logits.shape()[0] == 0) throw new IllegalArgumentException("cross_entropy: the batch " + logits.describe() + " is empty");
        Tensor loss = Tensor.empty(logits.dtype(), logits.device());
        Tensor probs = Tensor.empty(logits.dtype(), logits.device(), logits.shape());
        Backends.forDevice(logits.device()).crossEntropy(logits.data("cross_entropy"), targets.data("cross_entropy"), labelSmoothing,
                loss.data("cross_entropy"), probs.data("cross_entropy"));
        return Autograd.record("cross_entropy", loss, Derivatives.crossEntropy(logits, probs, targets, labelSmoothing), logits);
    }

    public static Tensor crossEntropyBackward(Tensor probs, Tensor targets, double labelSmoothing, Tensor gradLoss) {
        Tensor grad = Tensor.empty(probs.dtype(), probs.device(), probs.shape());
        Backends.forDevice(probs.device()).crossEntropyBackward(probs.data("cross_entropy backward"), targets.data("cross_entropy backward"),
                labelSmoothing, gradLoss.data("cross_entropy backward"), grad.data("cross_entropy backward"));
        return grad;
    }

    /**
     * The same gradient as {@link #crossEntropyBackward}, (softmax(logits) - target distribution)
     * * g / N, written with differentiable ops so that it can be differentiated again.
     */
    public static Tensor crossEntropyBackwardDifferentiable(Tensor logits, Tensor targets, double labelSmoothing, Tensor gradLoss) {
        int n = logits.shape()[0], classes = logits.shape()[1];
        Tensor classIds = Creation.arange(0L, classes, 1L, DType.I64, logits.device());
        Tensor target = targets.unsqueeze(1).eq(classIds).to(logits.dtype()).mul(1 - labelSmoothing).add(labelSmoothing / classes);
        return logits.softmax(1).sub(target).mul(gradLoss.div(n));
    }
}
