package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
public final class Dropout {
    private Dropout() {}

    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        Checks.open("dropout", x);
        Checks.floatingPoint("dropout", x);
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("dropout: probability must be in [0, 1], got " + p);
        if (!training || p == 0) return x;
        Tensor mask;
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor u = Creation.rand(gen, x.dtype(), x.device(), x.shape());
            Tensor keep = u.ge(p);
            mask = keep.to(x.dtype()).mul(p == 1 ? 0 : 1 / (1 - p));
            u.close();
            keep.close();
        }
        return x.mul(mask);
    }
}
