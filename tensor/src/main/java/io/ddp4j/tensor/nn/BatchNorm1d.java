package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/** Batch normalisation of [N, C] or [N, C, L] over N (and L), PyTorch's {@code nn.BatchNorm1d}. */
public final class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(int numFeatures) {
        this(numFeatures, DEFAULT_EPS, DEFAULT_MOMENTUM, true, true);
    }

    public BatchNorm1d(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
    }

    @Override
    protected void checkInput(Tensor input) {
        if (input.dim() != 2 && input.dim() != 3)
            throw new IllegalArgumentException(describe() + ": expected a 2-d [N, C] or 3-d [N, C, L] input, got " + input.describe());
    }
}
