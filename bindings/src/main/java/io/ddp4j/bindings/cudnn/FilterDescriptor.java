package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_TENSOR_NCHW;

/** A {@code cudnnFilterDescriptor_t}: convolution weights, K output channels x C input channels per group x R x S. */
public final class FilterDescriptor extends CudnnResource {
    private final int dataType;
    private final int[] dims;

    private FilterDescriptor(long address, int dataType, int[] dims) {
        super(address);
        this.dataType = dataType;
        this.dims = dims;
    }

    /** Weights laid out as PyTorch's Conv2d keeps them: [out channels][in channels / groups][kernel h][kernel w]. */
    public static FilterDescriptor kcrs(int dataType, int k, int c, int h, int w) {
        String context = "FilterDescriptor.kcrs(" + DataTypes.name(dataType) + ", " + k + "x" + c + "x" + h + "x" + w + ")";
        DataTypes.require(dataType, context);
        Shapes.requirePositive(context, "k (output channels)", k);
        Shapes.requirePositive(context, "c (input channels per group)", c);
        Shapes.requirePositive(context, "h", h);
        Shapes.requirePositive(context, "w", w);
        long address = CudnnResource.configured(Cudnn.cudnnCreateFilterDescriptor(),
                d -> Cudnn.cudnnSetFilter4dDescriptor(d, dataType, CUDNN_TENSOR_NCHW, k, c, h, w),
                Cudnn::cudnnDestroyFilterDescriptor);
        return new FilterDescriptor(address, dataType, new int[] {k, c, h, w});
    }

    public int dataType() {
        return dataType;
    }

    /** {k, c, h, w}. */
    public int[] dims() {
        return dims.clone();
    }

    public long elementCount() {
        return Shapes.product(dims);
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroyFilterDescriptor(address);
    }

    @Override
    public String toString() {
        return "FilterDescriptor[" + DataTypes.name(dataType) + " " + Shapes.format(dims) + (isClosed() ? ", closed]" : "]");
    }
}
