package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/** Merges dims startDim..endDim into one, PyTorch's {@code nn.Flatten} (default 1..-1: keep the batch dim). */
public final class Flatten extends Module {
    private final int startDim;
    private final int endDim;

    public Flatten() {
        this(1, -1);
    }

    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    @Override
    public Tensor forward(Tensor input) {
        return input.flatten(startDim, endDim);
    }

    @Override
    public String describe() {
        return "Flatten(start_dim=" + startDim + ", end_dim=" + endDim + ")";
    }
}
