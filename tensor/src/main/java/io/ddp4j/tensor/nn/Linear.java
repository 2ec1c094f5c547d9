package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;

/**
 * y = x W^T + b over the last dim, PyTorch's {@code nn.Linear}: weight [out, in], bias [out], both
 * U(-1/sqrt(in), 1/sqrt(in)) at first (kaiming_uniform_ with a = sqrt(5), then the fan-in bias).
 */
public final class Linear extends Module {
    private final int inFeatures;
    private final int outFeatures;

    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true, Init.defaultGenerator());
    }

    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Init.defaultGenerator());
    }

    /** Draws the weight, then the bias, from {@code gen}. */
    public Linear(int inFeatures, int outFeatures, boolean bias, Generator gen) {
        if (inFeatures < 0 || outFeatures < 0)
            throw new IllegalArgumentException("Linear: in_features and out_features must be >= 0, got " + inFeatures + " and " + outFeatures);
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        registerParameter("weight", Init.kaimingUniform(gen, Math.sqrt(5), outFeatures, inFeatures));
        if (bias) registerParameter("bias", Init.fanInBias(gen, inFeatures, outFeatures));
    }

    public Tensor weight() {
        return parameter("weight");
    }

    /** The bias, or null when made without one. */
    public Tensor bias() {
        return hasParameter("bias") ? parameter("bias") : null;
    }

    public int inFeatures() {
        return inFeatures;
    }

    public int outFeatures() {
        return outFeatures;
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() == 0 || input.size(-1) != inFeatures)
            throw new IllegalArgumentException(describe() + ": expected an input whose last dim is " + inFeatures + ", got " + input.describe());
        return Functional.linear(input, weight(), bias());
    }

    @Override
    public String describe() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + hasParameter("bias") + ")";
    }
}
