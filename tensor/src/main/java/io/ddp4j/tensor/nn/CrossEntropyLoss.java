package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/**
 * Softmax cross entropy of logits [N, C] against int64 class indices [N], PyTorch's
 * {@code nn.CrossEntropyLoss}, with label smoothing: the target distribution is
 * (1 - s) * one_hot + s / C.
 */
public final class CrossEntropyLoss implements Loss {
    private final double labelSmoothing;
    private final Reduction reduction;

    public CrossEntropyLoss() {
        this(0, Reduction.MEAN);
    }

    public CrossEntropyLoss(double labelSmoothing) {
        this(labelSmoothing, Reduction.MEAN);
    }

    public CrossEntropyLoss(double labelSmoothing, Reduction reduction) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new IllegalArgumentException("CrossEntropyLoss: label_smoothing must be in [0, 1], got " + labelSmoothing);
        this.labelSmoothing = labelSmoothing;
        this.reduction = reduction;
    }

    @Override
    public Tensor forward(Tensor logits, Tensor target) {
        Tensor mean = Functional.crossEntropy(logits, target, labelSmoothing);
        // the fused op averages over the batch; the sum is that mean times N
        return reduction == Reduction.MEAN ? mean : mean.mul(logits.size(0));
    }
}
