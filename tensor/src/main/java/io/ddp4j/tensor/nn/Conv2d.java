package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Conv2dParams;

/**
 * 2-d convolution over [N, C, H, W], PyTorch's {@code nn.Conv2d} with square kernel, stride,
 * padding and dilation: weight [out, in/groups, k, k], bias [out], both U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)) with fan_in = in/groups * k * k.
 */
public final class Conv2d extends Module {
    private final int inChannels;
    private final int outChannels;
    private final int kernelSize;
    private final Conv2dParams params;

    /** Stride 1, no padding, with bias, from the default generator. */
    public Conv2d(int inChannels, int outChannels, int kernelSize) {
        this(inChannels, outChannels, kernelSize, 1, 0);
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding) {
        this(inChannels, outChannels, kernelSize, stride, padding, 1, 1, true, Init.defaultGenerator());
    }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups,
                  boolean bias, Generator gen) {
        if (inChannels < 1 || outChannels < 1 || kernelSize < 1)
            throw new IllegalArgumentException("Conv2d: in_channels, out_channels and kernel_size must be >= 1, got "
                    + inChannels + ", " + outChannels + ", " + kernelSize);
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new IllegalArgumentException("Conv2d: groups " + groups + " must divide in_channels " + inChannels
                    + " and out_channels " + outChannels);
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernelSize = kernelSize;
        this.params = new Conv2dParams(stride, stride, padding, padding, dilation, dilation, groups);
        int[] weightShape = {outChannels, inChannels / groups, kernelSize, kernelSize};
        registerParameter("weight", Init.kaimingUniform(gen, Math.sqrt(5), weightShape));
        if (bias) registerParameter("bias", Init.fanInBias(gen, Init.fanIn(weightShape), outChannels));
    }

    public Tensor weight() {
        return parameter("weight");
    }

    public Tensor bias() {
        return hasParameter("bias") ? parameter("bias") : null;
    }

    public Conv2dParams params() {
        return params;
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() != 4 || input.size(1) != inChannels)
            throw new IllegalArgumentException(describe() + ": expected [N, " + inChannels + ", H, W], got " + input.describe());
        return Functional.conv2d(input, weight(), bias(), params);
    }

    @Override
    public String describe() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel_size=" + kernelSize + ", stride=" + params.strideH()
                + ", padding=" + params.padH() + (params.dilationH() != 1 ? ", dilation=" + params.dilationH() : "")
                + (params.groups() != 1 ? ", groups=" + params.groups() : "") + ", bias=" + hasParameter("bias") + ")";
    }
}
