package io.ddp4j.tensor.backend.cuda;

/**
 * The kernels of {@code native/kernels/tensor_*.cu} the CUDA backend launches, each with the
 * parameter struct it takes and that struct's size in 8-byte slots (TensorKernelsTest checks both
 * against the sources).
 */
enum TensorKernel {
    FILL("ddp4j_tensor_fill", Struct.EW),
    COPY("ddp4j_tensor_copy", Struct.EW),
    UNARY("ddp4j_tensor_unary", Struct.EW),
    BINARY("ddp4j_tensor_binary", Struct.EW),
    WHERE("ddp4j_tensor_where", Struct.EW),
    REDUCE("ddp4j_tensor_reduce", Struct.REDUCE),
    ARGMAX("ddp4j_tensor_argmax", Struct.REDUCE),
    UNIFORM("ddp4j_tensor_uniform", Struct.EW),
    NORMAL("ddp4j_tensor_normal", Struct.EW),
    CROSS_ENTROPY("ddp4j_tensor_cross_entropy", Struct.EW),
    MEAN_ROWS("ddp4j_tensor_mean_rows", Struct.EW),
    CROSS_ENTROPY_BACKWARD("ddp4j_tensor_cross_entropy_backward", Struct.EW),
    INDEX_SELECT("ddp4j_tensor_index_select", Struct.EW),
    INDEX_ADD("ddp4j_tensor_index_add", Struct.EW),
    MAX_POOL2D("ddp4j_tensor_max_pool2d", Struct.POOL),
    MAX_POOL2D_BACKWARD("ddp4j_tensor_max_pool2d_backward", Struct.POOL),
    AVG_POOL2D("ddp4j_tensor_avg_pool2d", Struct.POOL),
    AVG_POOL2D_BACKWARD("ddp4j_tensor_avg_pool2d_backward", Struct.POOL),
    MATMUL_DIRECT("ddp4j_tensor_matmul_direct", Struct.MATMUL),
    CONV2D("ddp4j_tensor_conv2d", Struct.CONV),
    CONV2D_BACKWARD_INPUT("ddp4j_tensor_conv2d_backward_input", Struct.CONV),
    CONV2D_BACKWARD_WEIGHT("ddp4j_tensor_conv2d_backward_weight", Struct.CONV),
    MULTI_TENSOR_SGD("ddp4j_multi_tensor_sgd", Struct.MULTI_TENSOR),
    MULTI_TENSOR_ADAM("ddp4j_multi_tensor_adam", Struct.MULTI_TENSOR);

    /** The parameter structs of the tensor kernels: their C names and sizes in slots. */
    enum Struct {
        EW("EwParams", 54), REDUCE("ReduceParams", 49), POOL("PoolParams", 29), MATMUL("MatmulParams", 17), CONV("ConvParams", 32),
        MULTI_TENSOR("MultiTensorParams", 13);

        final String cName;
        final int slots;

        Struct(String cName, int slots) {
            this.cName = cName;
            this.slots = slots;
        }
    }

    /** Threads per block of every tensor kernel (the reductions' shared arrays are sized for it). */
    static final int THREADS = 256;

    final String symbol;
    final Struct struct;

    TensorKernel(String symbol, Struct struct) {
        this.symbol = symbol;
        this.struct = struct;
    }
}
