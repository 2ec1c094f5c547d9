package io.ddp4j.tensor.backend;

/** Geometry of a 2-d convolution, PyTorch's meaning for each field. */
public record Conv2dParams(int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public Conv2dParams {
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("conv2d: stride must be >= 1, got (" + strideH + ", " + strideW + ")");
        if (padH < 0 || padW < 0) throw new IllegalArgumentException("conv2d: padding must be >= 0, got (" + padH + ", " + padW + ")");
        if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException("conv2d: dilation must be >= 1, got (" + dilationH + ", " + dilationW + ")");
        if (groups < 1) throw new IllegalArgumentException("conv2d: groups must be >= 1, got " + groups);
    }

    public int outH(int inH, int kernelH) {
        return (inH + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1;
    }

    public int outW(int inW, int kernelW) {
        return (inW + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1;
    }
}
