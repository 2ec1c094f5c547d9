package io.ddp4j.bindings.cudnn;

/**
 * The shapes of one 2-d convolution (NCHW input, KCRS weights, as PyTorch's Conv2d), checked when
 * built so cuDNN never sees an impossible one: every size positive, padding non-negative, channels
 * divisible by the group count, and an output of at least one pixel.
 */
public record Conv2dShape(int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW,
                          int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int groups) {

    public Conv2dShape {
        String context = describe(batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW, dilationH, dilationW, groups);
        Shapes.requirePositive(context, "batch", batch);
        Shapes.requirePositive(context, "in channels", inChannels);
        Shapes.requirePositive(context, "height", height);
        Shapes.requirePositive(context, "width", width);
        Shapes.requirePositive(context, "out channels", outChannels);
        Shapes.requirePositive(context, "kernel height", kernelH);
        Shapes.requirePositive(context, "kernel width", kernelW);
        Shapes.requireNonNegative(context, "padding height", padH);
        Shapes.requireNonNegative(context, "padding width", padW);
        Shapes.requirePositive(context, "stride height", strideH);
        Shapes.requirePositive(context, "stride width", strideW);
        Shapes.requirePositive(context, "dilation height", dilationH);
        Shapes.requirePositive(context, "dilation width", dilationW);
        Shapes.requirePositive(context, "groups", groups);
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException(context + ": in channels (" + inChannels + ") must be divisible by groups (" + groups + ")");
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException(context + ": out channels (" + outChannels + ") must be divisible by groups (" + groups + ")");
        }
        long spanH = (long) dilationH * (kernelH - 1) + 1, spanW = (long) dilationW * (kernelW - 1) + 1;
        if (height + 2L * padH < spanH || width + 2L * padW < spanW) {
            throw new IllegalArgumentException(context + ": the dilated kernel (" + spanH + "x" + spanW + ") is larger than the padded input ("
                    + (height + 2L * padH) + "x" + (width + 2L * padW) + "), so there is no output");
        }
    }

    /** A square kernel with the same padding, stride and dilation in both directions. */
    public static Conv2dShape of(int batch, int inChannels, int height, int width, int outChannels, int kernel,
                                 int pad, int stride, int dilation, int groups) {
        return new Conv2dShape(batch, inChannels, height, width, outChannels, kernel, kernel, pad, pad, stride, stride, dilation, dilation, groups);
    }

    /** floor((H + 2 pad - dilation (k - 1) - 1) / stride) + 1, as cuDNN and PyTorch compute it. */
    public int outHeight() {
        return (int) ((height + 2L * padH - (long) dilationH * (kernelH - 1) - 1) / strideH + 1);
    }

    public int outWidth() {
        return (int) ((width + 2L * padW - (long) dilationW * (kernelW - 1) - 1) / strideW + 1);
    }

    /** {N, C, H, W}. */
    public int[] inputDims() {
        return new int[] {batch, inChannels, height, width};
    }

    /** {K, C / groups, R, S}. */
    public int[] filterDims() {
        return new int[] {outChannels, inChannels / groups, kernelH, kernelW};
    }

    /** {N, K, P, Q}. */
    public int[] outputDims() {
        return new int[] {batch, outChannels, outHeight(), outWidth()};
    }

    public long inputElements() {
        return Shapes.product(inputDims());
    }

    public long filterElements() {
        return Shapes.product(filterDims());
    }

    public long outputElements() {
        return Shapes.product(outputDims());
    }

    @Override
    public String toString() {
        return describe(batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW, dilationH, dilationW, groups);
    }

    private static String describe(int n, int c, int h, int w, int k, int kh, int kw, int ph, int pw, int sh, int sw, int dh, int dw, int g) {
        return "Conv2dShape(input " + n + "x" + c + "x" + h + "x" + w + ", " + k + " filters " + kh + "x" + kw
                + ", pad " + ph + "x" + pw + ", stride " + sh + "x" + sw + ", dilation " + dh + "x" + dw + ", groups " + g + ")";
    }
}
