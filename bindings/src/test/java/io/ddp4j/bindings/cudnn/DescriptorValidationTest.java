package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad arguments are refused in Java, before cuDNN is touched: these pass on a machine without
 * cuDNN, which shows no native call was made (it would have thrown NativeLibraryNotFoundException).
 */
class DescriptorValidationTest {

    private static void rejects(String expectedPart, Executable call) {
        var e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expectedPart), "message '" + e.getMessage() + "' should contain '" + expectedPart + "'");
    }

    @Test
    void tensors() {
        rejects("TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 0x3x4x4): n must be positive, got 0", () -> TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 0, 3, 4, 4));
        rejects("w must be positive, got -4", () -> TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 1, 3, 4, -4));
        rejects("99 is not a cudnnDataType_t", () -> TensorDescriptor.nchw(99, 1, 3, 4, 4));
        rejects("cuDNN tensors have 3 to 8 dimensions, not 2", () -> TensorDescriptor.strided(CUDNN_DATA_FLOAT, new int[] {2, 3}, new int[] {3, 1}));
        rejects("one stride per dimension", () -> TensorDescriptor.strided(CUDNN_DATA_FLOAT, new int[] {2, 3, 4}, new int[] {12, 4}));
        rejects("stride 1 must be positive", () -> TensorDescriptor.strided(CUDNN_DATA_FLOAT, new int[] {2, 3, 4}, new int[] {12, 0, 1}));
        rejects("every dimension must be positive", () -> TensorDescriptor.packed(CUDNN_DATA_FLOAT, 2, 0, 4));
    }

    @Test
    void filters() {
        rejects("FilterDescriptor.kcrs(CUDNN_DATA_HALF, 8x0x3x3): c (input channels per group) must be positive", () -> FilterDescriptor.kcrs(CUDNN_DATA_HALF, 8, 0, 3, 3));
    }

    @Test
    void convolutions() {
        rejects("cudnnConvolutionMode_t 2 is not a valid value", () -> ConvolutionDescriptor.conv2d(1, 1, 1, 1, 1, 1, 2, CUDNN_DATA_FLOAT, 1, CUDNN_DEFAULT_MATH));
        rejects("strideW must be positive, got 0", () -> ConvolutionDescriptor.conv2d(1, 1, 1, 0, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT, 1, CUDNN_DEFAULT_MATH));
        rejects("cudnnMathType_t 4", () -> ConvolutionDescriptor.conv2d(1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT, 1, 4));
        rejects("compute type: data type CUDNN_DATA_INT32", () -> ConvolutionDescriptor.conv2d(1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_INT32, 1, CUDNN_DEFAULT_MATH));
    }

    @Test
    void poolingAndActivation() {
        rejects("windowW must be positive, got 0", () -> PoolingDescriptor.pool2d(CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2, 0, 0, 0, 2, 2));
        rejects("cudnnPoolingMode_t 9", () -> PoolingDescriptor.pool2d(9, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 0, 0, 2, 2));
        rejects("cudnnNanPropagation_t 2", () -> PoolingDescriptor.pool2d(CUDNN_POOLING_MAX, 2, 2, 2, 0, 0, 2, 2));
        rejects("cudnnActivationMode_t 7", () -> ActivationDescriptor.of(7, CUDNN_NOT_PROPAGATE_NAN, 0));
        rejects("coef is NaN", () -> ActivationDescriptor.of(CUDNN_ACTIVATION_ELU, CUDNN_NOT_PROPAGATE_NAN, Double.NaN));
    }

    @Test
    void conv2dPlanChecksBeforeTouchingTheHandle() {
        Conv2dShape shape = Conv2dShape.of(2, 3, 8, 8, 4, 3, 1, 1, 1, 1);
        rejects("Conv2dPlan.create(Conv2dShape(input 2x3x8x8, 4 filters 3x3, pad 1x1, stride 1x1, dilation 1x1, groups 1)): data type CUDNN_DATA_INT8",
                () -> Conv2dPlan.create(null, shape, CUDNN_DATA_INT8, Conv2dOptions.defaults()));
        rejects("handle must not be null", () -> Conv2dPlan.create(null, shape, CUDNN_DATA_FLOAT, Conv2dOptions.defaults()));
        rejects("options must not be null", () -> Conv2dPlan.create(null, shape, CUDNN_DATA_FLOAT, null));
    }
}
