package io.ddp4j.tensor.backend;

/** Geometry of 2-d max or average pooling; average pooling counts padding in the divisor, like PyTorch's default. */
public record Pool2dParams(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    public Pool2dParams {
        if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException("pool2d: kernel must be >= 1, got (" + kernelH + ", " + kernelW + ")");
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("pool2d: stride must be >= 1, got (" + strideH + ", " + strideW + ")");
        if (padH < 0 || padW < 0 || padH > kernelH / 2 || padW > kernelW / 2)
            throw new IllegalArgumentException("pool2d: padding must be between 0 and half the kernel, got (" + padH + ", " + padW + ") for kernel (" + kernelH + ", " + kernelW + ")");
    }

    public int outH(int inH) {
        return (inH + 2 * padH - kernelH) / strideH + 1;
    }

    public int outW(int inW) {
        return (inW + 2 * padW - kernelW) / strideW + 1;
    }
}
