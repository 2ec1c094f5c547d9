package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/** max(x, 0), PyTorch's {@code nn.ReLU}. */
public final class ReLU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.relu();
    }

    @Override
    public String describe() {
        return "ReLU()";
    }
}
