package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

/**
 * A {@code cudnnTensorDescriptor_t} with the shape it was given, kept in Java so callers can check
 * shapes without asking cuDNN.
 */
public final class TensorDescriptor extends CudnnResource {
    private final int dataType;
    private final int[] dims;
    private final int[] strides;

    private TensorDescriptor(long address, int dataType, int[] dims, int[] strides) {
        super(address);
        this.dataType = dataType;
        this.dims = dims.clone();
        this.strides = strides.clone();
    }

    /** A packed NCHW tensor (cudnnSetTensor4dDescriptor). */
    public static TensorDescriptor nchw(int dataType, int n, int c, int h, int w) {
        String context = "TensorDescriptor.nchw(" + DataTypes.name(dataType) + ", " + n + "x" + c + "x" + h + "x" + w + ")";
        DataTypes.require(dataType, context);
        Shapes.requirePositive(context, "n", n);
        Shapes.requirePositive(context, "c", c);
        Shapes.requirePositive(context, "h", h);
        Shapes.requirePositive(context, "w", w);
        int[] dims = {n, c, h, w};
        int[] strides = Shapes.packedStrides(dims);
        long address = CudnnResource.configured(Cudnn.cudnnCreateTensorDescriptor(),
                d -> Cudnn.cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, dataType, n, c, h, w),
                Cudnn::cudnnDestroyTensorDescriptor);
        return new TensorDescriptor(address, dataType, dims, strides);
    }

    /** A tensor of 3 to {@value CudnnConstants#CUDNN_DIM_MAX} dimensions with explicit strides (cudnnSetTensorNdDescriptor). */
    public static TensorDescriptor strided(int dataType, int[] dims, int[] strides) {
        String context = "TensorDescriptor.strided(" + DataTypes.name(dataType) + ", dims " + Shapes.format(dims) + ", strides " + Shapes.format(strides) + ")";
        DataTypes.require(dataType, context);
        if (dims.length < 3 || dims.length > CUDNN_DIM_MAX) {
            throw new IllegalArgumentException(context + ": cuDNN tensors have 3 to " + CUDNN_DIM_MAX + " dimensions, not " + dims.length);
        }
        if (strides.length != dims.length) throw new IllegalArgumentException(context + ": one stride per dimension is needed");
        for (int i = 0; i < dims.length; i++) {
            Shapes.requirePositive(context, "dimension " + i, dims[i]);
            Shapes.requirePositive(context, "stride " + i, strides[i]);
        }
        int[] d = dims.clone(), s = strides.clone();
        long address = CudnnResource.configured(Cudnn.cudnnCreateTensorDescriptor(),
                a -> Cudnn.cudnnSetTensorNdDescriptor(a, dataType, d, s), Cudnn::cudnnDestroyTensorDescriptor);
        return new TensorDescriptor(address, dataType, d, s);
    }

    /** A packed tensor of 3 to 8 dimensions. */
    public static TensorDescriptor packed(int dataType, int... dims) {
        for (int d : dims) Shapes.requirePositive("TensorDescriptor.packed(" + Shapes.format(dims) + ")", "every dimension", d);
        return strided(dataType, dims, Shapes.packedStrides(dims));
    }

    /**
     * The descriptor of batch norm's scale, bias, mean and variance for input {@code x}
     * (cudnnDeriveBNTensorDescriptor): 1xCx1x1 for the spatial modes, 1xCxHxW per activation;
     * float unless x is double, as cudnn_ops.h specifies.
     */
    public static TensorDescriptor batchNormParameters(TensorDescriptor x, int mode) {
        String context = "TensorDescriptor.batchNormParameters(" + x + ", mode " + mode + ")";
        Shapes.requireOneOf(context, "cudnnBatchNormMode_t", mode, CUDNN_BATCHNORM_PER_ACTIVATION, CUDNN_BATCHNORM_SPATIAL_PERSISTENT);
        if (x.rank() != 4) throw new IllegalArgumentException(context + ": batch norm here takes NCHW (4-d) input");
        long xAddress = x.address();
        int[] dims = mode == CUDNN_BATCHNORM_PER_ACTIVATION
                ? new int[] {1, x.dims[1], x.dims[2], x.dims[3]}
                : new int[] {1, x.dims[1], 1, 1};
        int type = x.dataType == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
        long address = CudnnResource.configured(Cudnn.cudnnCreateTensorDescriptor(),
                d -> Cudnn.cudnnDeriveBNTensorDescriptor(d, xAddress, mode), Cudnn::cudnnDestroyTensorDescriptor);
        return new TensorDescriptor(address, type, dims, Shapes.packedStrides(dims));
    }

    public int dataType() {
        return dataType;
    }

    public int[] dims() {
        return dims.clone();
    }

    public int[] strides() {
        return strides.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long elementCount() {
        return Shapes.product(dims);
    }

    /** Bytes of a packed buffer holding this tensor. */
    public long byteSize() {
        return elementCount() * DataTypes.size(dataType);
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroyTensorDescriptor(address);
    }

    @Override
    public String toString() {
        return "TensorDescriptor[" + DataTypes.name(dataType) + " " + Shapes.format(dims) + (isClosed() ? ", closed]" : "]");
    }
}
