package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;

import java.util.List;

/**
 * Adam with decoupled weight decay, PyTorch's {@code torch.optim.AdamW}: the parameter shrinks by
 * lr * weight_decay before the Adam step instead of the decay entering the gradient. Default weight
 * decay 1e-2, as in PyTorch. See {@link Adam} for the update; Adam's fused path (CUDA and the CPU
 * backend) applies the decay in the same pass, flagged {@code MultiTensorUpdates.DECOUPLED}.
 */
public final class AdamW extends Adam {

    /** AdamW's defaults: Adam's, with weight decay 1e-2. */
    public static Options options() {
        return new Options(1e-2);
    }

    public AdamW(Iterable<Tensor> params, Options options) {
        super(single(params), options, true);
    }

    public AdamW(List<ParamGroup> groups, Options defaults) {
        super(groups, defaults, true);
    }
}
