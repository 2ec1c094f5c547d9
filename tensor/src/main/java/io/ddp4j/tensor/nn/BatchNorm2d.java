package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/** Batch normalisation of [N, C, H, W] per channel, PyTorch's {@code nn.BatchNorm2d}. */
public final class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    public BatchNorm2d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInput(Tensor input) {
        if (input.dim() != 4)
            throw new IllegalArgumentException(describe() + ": expected a 4-d [N, C, H, W] input, got " + input.describe());
    }
}
