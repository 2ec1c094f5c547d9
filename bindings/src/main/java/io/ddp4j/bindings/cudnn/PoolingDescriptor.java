package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

/** A {@code cudnnPoolingDescriptor_t} for 2-d pooling. */
public final class PoolingDescriptor extends CudnnResource {
    private final int mode, windowH, windowW, padH, padW, strideH, strideW;

    private PoolingDescriptor(long address, int mode, int windowH, int windowW, int padH, int padW, int strideH, int strideW) {
        super(address);
        this.mode = mode;
        this.windowH = windowH;
        this.windowW = windowW;
        this.padH = padH;
        this.padW = padW;
        this.strideH = strideH;
        this.strideW = strideW;
    }

    /** cudnnSetPooling2dDescriptor. */
    public static PoolingDescriptor pool2d(int mode, int nanOpt, int windowH, int windowW, int padH, int padW, int strideH, int strideW) {
        String context = "PoolingDescriptor.pool2d(mode " + mode + ", window " + windowH + "x" + windowW + ", pad " + padH + "x" + padW
                + ", stride " + strideH + "x" + strideW + ")";
        Shapes.requireOneOf(context, "cudnnPoolingMode_t", mode, CUDNN_POOLING_MAX, CUDNN_POOLING_MAX_DETERMINISTIC);
        Shapes.requireOneOf(context, "cudnnNanPropagation_t", nanOpt, CUDNN_NOT_PROPAGATE_NAN, CUDNN_PROPAGATE_NAN);
        Shapes.requirePositive(context, "windowH", windowH);
        Shapes.requirePositive(context, "windowW", windowW);
        Shapes.requireNonNegative(context, "padH", padH);
        Shapes.requireNonNegative(context, "padW", padW);
        Shapes.requirePositive(context, "strideH", strideH);
        Shapes.requirePositive(context, "strideW", strideW);
        long address = CudnnResource.configured(Cudnn.cudnnCreatePoolingDescriptor(),
                d -> Cudnn.cudnnSetPooling2dDescriptor(d, mode, nanOpt, windowH, windowW, padH, padW, strideH, strideW),
                Cudnn::cudnnDestroyPoolingDescriptor);
        return new PoolingDescriptor(address, mode, windowH, windowW, padH, padW, strideH, strideW);
    }

    /** PyTorch's MaxPool2d(kernel, stride) without padding: NaN propagates, as in PyTorch. */
    public static PoolingDescriptor maxPool2d(int kernel, int stride) {
        return pool2d(CUDNN_POOLING_MAX, CUDNN_PROPAGATE_NAN, kernel, kernel, 0, 0, stride, stride);
    }

    /** cuDNN's output shape {n, c, h, w} for input {@code x}. */
    public int[] outputDims(TensorDescriptor x) {
        return Cudnn.cudnnGetPooling2dForwardOutputDim(address(), x.address());
    }

    public int mode() {
        return mode;
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroyPoolingDescriptor(address);
    }

    @Override
    public String toString() {
        return "PoolingDescriptor[mode " + mode + ", window " + windowH + "x" + windowW + ", pad " + padH + "x" + padW
                + ", stride " + strideH + "x" + strideW + (isClosed() ? ", closed]" : "]");
    }
}
