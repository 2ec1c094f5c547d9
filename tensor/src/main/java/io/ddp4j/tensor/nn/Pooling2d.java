package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Pool2dParams;

/** The input check the pooling modules share, so their errors name the module. */
final class Pooling2d {
    private Pooling2d() {}

    static void checkInput(String module, Tensor input, Pool2dParams p) {
        if (input.dim() != 4)
            throw new IllegalArgumentException(module + ": expected a 4-d [N, C, H, W] input, got " + input.describe());
        if (p.outH(input.size(2)) < 1 || p.outW(input.size(3)) < 1)
            throw new IllegalArgumentException(module + ": the input " + input.describe() + " is smaller than the window");
    }
}
