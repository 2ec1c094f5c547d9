package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

import java.util.Arrays;

/** (input - target)^2, averaged or summed, PyTorch's {@code nn.MSELoss}; shapes must be equal. */
public final class MSELoss implements Loss {
    private final Reduction reduction;

    public MSELoss() {
        this(Reduction.MEAN);
    }

    public MSELoss(Reduction reduction) {
        this.reduction = reduction;
    }

    @Override
    public Tensor forward(Tensor input, Tensor target) {
        // PyTorch only warns and broadcasts on a shape mismatch, which hides bugs; refuse it instead
        if (!Arrays.equals(input.shape(), target.shape()))
            throw new IllegalArgumentException("MSELoss: input " + input.describe() + " and target " + target.describe() + " must have the same shape");
        Tensor diff = input.sub(target);
        Tensor squared = diff.mul(diff);
        return reduction == Reduction.MEAN ? squared.mean() : squared.sum();
    }
}
