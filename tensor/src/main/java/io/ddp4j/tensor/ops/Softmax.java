package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.Tensor;

/**
 * softmax and log_softmax written with differentiable primitives (so their gradients come from the
 * primitives' rules); the max is subtracted first for stability and detached, which is exact since
 * both functions ignore a constant shift.
 */
public final class Softmax {
    private Softmax() {}

    public static Tensor softmax(Tensor x, int dim) {
        Checks.open("softmax", x);
        Checks.floatingPoint("softmax", x);
        x = Autocast.fp32(x);
        int d = Checks.dim("softmax", dim, x);
        Tensor shifted = x.sub(x.max(d, true).detach());
        Tensor e = shifted.exp();
        return e.div(e.sum(d, true));
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        Checks.open("log_softmax", x);
        Checks.floatingPoint("log_softmax", x);
        x = Autocast.fp32(x);
        int d = Checks.dim("log_softmax", dim, x);
        Tensor shifted = x.sub(x.max(d, true).detach());
        return shifted.sub(shifted.exp().sum(d, true).log());
    }
}
