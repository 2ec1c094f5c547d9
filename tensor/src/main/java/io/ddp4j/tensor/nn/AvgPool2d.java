package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Pool2dParams;

/**
 * Mean over square windows of [N, C, H, W], PyTorch's {@code nn.AvgPool2d} (padding counted in the
 * divisor, PyTorch's default); stride defaults to the kernel size.
 */
public final class AvgPool2d extends Module {
    private final Pool2dParams params;

    public AvgPool2d(int kernelSize) {
        this(kernelSize, kernelSize, 0);
    }

    public AvgPool2d(int kernelSize, int stride, int padding) {
        this.params = new Pool2dParams(kernelSize, kernelSize, stride, stride, padding, padding);
    }

    @Override
    public Tensor forward(Tensor input) {
        Pooling2d.checkInput(describe(), input, params);
        return io.ddp4j.tensor.ops.Pooling.avgPool2d(input, params);
    }

    @Override
    public String describe() {
        return "AvgPool2d(kernel_size=" + params.kernelH() + ", stride=" + params.strideH() + ", padding=" + params.padH() + ")";
    }
}
