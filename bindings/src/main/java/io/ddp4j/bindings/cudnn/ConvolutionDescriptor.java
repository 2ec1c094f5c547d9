package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

/**
 * A {@code cudnnConvolutionDescriptor_t} for a 2-d convolution: padding, stride, dilation, mode,
 * accumulation type and group count, plus the math type (which may change after an algorithm
 * search picks one).
 */
public final class ConvolutionDescriptor extends CudnnResource {
    private final int padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType, groups;
    private volatile int mathType;

    private ConvolutionDescriptor(long address, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                                  int mode, int computeType, int groups, int mathType) {
        super(address);
        this.padH = padH;
        this.padW = padW;
        this.strideH = strideH;
        this.strideW = strideW;
        this.dilationH = dilationH;
        this.dilationW = dilationW;
        this.mode = mode;
        this.computeType = computeType;
        this.groups = groups;
        this.mathType = mathType;
    }

    /**
     * cudnnSetConvolution2dDescriptor, cudnnSetConvolutionGroupCount and cudnnSetConvolutionMathType
     * in one step. {@code computeType} is the accumulation type: CUDNN_DATA_FLOAT for float, half and
     * bfloat16 data, CUDNN_DATA_DOUBLE for double.
     */
    public static ConvolutionDescriptor conv2d(int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                                               int mode, int computeType, int groups, int mathType) {
        String context = "ConvolutionDescriptor.conv2d(pad " + padH + "x" + padW + ", stride " + strideH + "x" + strideW
                + ", dilation " + dilationH + "x" + dilationW + ", groups " + groups + ")";
        Shapes.requireNonNegative(context, "padH", padH);
        Shapes.requireNonNegative(context, "padW", padW);
        Shapes.requirePositive(context, "strideH", strideH);
        Shapes.requirePositive(context, "strideW", strideW);
        Shapes.requirePositive(context, "dilationH", dilationH);
        Shapes.requirePositive(context, "dilationW", dilationW);
        Shapes.requirePositive(context, "groups", groups);
        Shapes.requireOneOf(context, "cudnnConvolutionMode_t", mode, CUDNN_CONVOLUTION, CUDNN_CROSS_CORRELATION);
        Shapes.requireOneOf(context, "cudnnMathType_t", mathType, CUDNN_DEFAULT_MATH, CUDNN_FMA_MATH);
        DataTypes.requireFloatingPoint(computeType, context + " compute type");
        long address = CudnnResource.configured(Cudnn.cudnnCreateConvolutionDescriptor(), d -> {
            Cudnn.cudnnSetConvolution2dDescriptor(d, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType);
            Cudnn.cudnnSetConvolutionGroupCount(d, groups);
            Cudnn.cudnnSetConvolutionMathType(d, mathType);
        }, Cudnn::cudnnDestroyConvolutionDescriptor);
        return new ConvolutionDescriptor(address, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType, groups, mathType);
    }

    /** The cross-correlation PyTorch's Conv2d computes, for {@code shape}. */
    public static ConvolutionDescriptor forShape(Conv2dShape shape, int computeType, int mathType) {
        return conv2d(shape.padH(), shape.padW(), shape.strideH(), shape.strideW(), shape.dilationH(), shape.dilationW(),
                CUDNN_CROSS_CORRELATION, computeType, shape.groups(), mathType);
    }

    public void setMathType(int mathType) {
        Shapes.requireOneOf("ConvolutionDescriptor.setMathType", "cudnnMathType_t", mathType, CUDNN_DEFAULT_MATH, CUDNN_FMA_MATH);
        Cudnn.cudnnSetConvolutionMathType(address(), mathType);
        this.mathType = mathType;
    }

    /** cuDNN's own output shape {n, c, h, w} for this input and filter. */
    public int[] outputDims(TensorDescriptor x, FilterDescriptor w) {
        return Cudnn.cudnnGetConvolution2dForwardOutputDim(address(), x.address(), w.address());
    }

    public int mathType() {
        return mathType;
    }

    public int groups() {
        return groups;
    }

    public int computeType() {
        return computeType;
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroyConvolutionDescriptor(address);
    }

    @Override
    public String toString() {
        return "ConvolutionDescriptor[pad " + padH + "x" + padW + ", stride " + strideH + "x" + strideW + ", dilation " + dilationH + "x" + dilationW
                + ", groups " + groups + ", mode " + mode + ", compute " + DataTypes.name(computeType) + ", math " + mathType + (isClosed() ? ", closed]" : "]");
    }
}
