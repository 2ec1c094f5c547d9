package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/** x * Phi(x) with the exact normal CDF, PyTorch's {@code nn.GELU()} (approximate='none'). */
public final class GELU extends Module {
    @Override
    public Tensor forward(Tensor input) {
        return input.gelu();
    }

    @Override
    public String describe() {
        return "GELU()";
    }
}
