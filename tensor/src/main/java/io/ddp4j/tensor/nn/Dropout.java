package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;

/**
 * Zeroes each element with probability p in training and scales the rest by 1/(1-p); the identity
 * in evaluation. PyTorch's {@code nn.Dropout}. The mask comes from the generator given, or from
 * {@link Init#defaultGenerator()} at each forward.
 */
public final class Dropout extends Module {
    private final double p;
    private final Generator generator;

    public Dropout() {
        this(0.5);
    }

    public Dropout(double p) {
        this(p, null);
    }

    /** {@code generator} null means the default generator at the time of each forward. */
    public Dropout(double p, Generator generator) {
        if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException("Dropout: p must be in [0, 1], got " + p);
        this.p = p;
        this.generator = generator;
    }

    @Override
    public Tensor forward(Tensor input) {
        return Functional.dropout(input, p, isTraining(), generator != null ? generator : Init.defaultGenerator());
    }

    @Override
    public String describe() {
        return "Dropout(p=" + p + ")";
    }
}
