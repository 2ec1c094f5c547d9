package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.Tensor;

import java.util.Arrays;

/**
 * Normalises over the trailing dims given by {@code normalizedShape}, PyTorch's {@code nn.LayerNorm}:
 * (x - mean) / sqrt(biased var + eps) * weight + bias, weight 1 and bias 0 at first. Composed from
 * differentiable tensor ops (there is no fused kernel yet), so autograd derives its backward.
 */
public final class LayerNorm extends Module {
    private final int[] normalizedShape;
    private final double eps;
    private final boolean elementwiseAffine;

    public LayerNorm(int... normalizedShape) {
        this(normalizedShape, 1e-5, true);
    }

    public LayerNorm(int[] normalizedShape, double eps, boolean elementwiseAffine) {
        if (normalizedShape.length == 0) throw new IllegalArgumentException("LayerNorm: normalized_shape must have at least one dim");
        for (int s : normalizedShape)
            if (s < 1) throw new IllegalArgumentException("LayerNorm: normalized_shape must be positive, got " + Arrays.toString(normalizedShape));
        if (!(eps > 0)) throw new IllegalArgumentException("LayerNorm: eps must be > 0, got " + eps);
        this.normalizedShape = normalizedShape.clone();
        this.eps = eps;
        this.elementwiseAffine = elementwiseAffine;
        if (elementwiseAffine) {
            registerParameter("weight", Tensor.ones(normalizedShape));
            registerParameter("bias", Tensor.zeros(normalizedShape));
        }
    }

    @Override
    public Tensor forward(Tensor input) {
        input = Autocast.fp32(input); // an fp32 op under autocast, as in PyTorch
        int k = normalizedShape.length;
        int[] shape = input.shape();
        if (shape.length < k || !Arrays.equals(Arrays.copyOfRange(shape, shape.length - k, shape.length), normalizedShape))
            throw new IllegalArgumentException(describe() + ": expected an input ending in " + Arrays.toString(normalizedShape) + ", got " + input.describe());
        int[] dims = new int[k];
        for (int i = 0; i < k; i++) dims[i] = shape.length - k + i;
        Tensor mean = input.mean(dims, true);
        Tensor var = input.var(dims, 0, true);
        Tensor y = input.sub(mean).div(var.add(eps).sqrt());
        if (elementwiseAffine) y = y.mul(parameter("weight")).add(parameter("bias"));
        return y;
    }

    @Override
    public String describe() {
        return "LayerNorm(" + Arrays.toString(normalizedShape) + ", eps=" + eps + ", elementwise_affine=" + elementwiseAffine + ")";
    }
}
