package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.ops.Pooling;

/**
 * Average pooling to a fixed output size, PyTorch's {@code nn.AdaptiveAvgPool2d}. Supports an output
 * of 1x1 (a mean over H and W, the global pooling of ResNets) and sizes that divide the input
 * evenly, where PyTorch's adaptive windows are exactly kernel = stride = in/out; other sizes have
 * overlapping windows of varying size and are refused with a clear message.
 */
public final class AdaptiveAvgPool2d extends Module {
    private final int outH;
    private final int outW;

    public AdaptiveAvgPool2d(int outputSize) {
        this(outputSize, outputSize);
    }

    public AdaptiveAvgPool2d(int outH, int outW) {
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("AdaptiveAvgPool2d: output size must be >= 1, got (" + outH + ", " + outW + ")");
        this.outH = outH;
        this.outW = outW;
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() != 4) throw new IllegalArgumentException(describe() + ": expected a 4-d [N, C, H, W] input, got " + input.describe());
        int h = input.size(2), w = input.size(3);
        if (outH == 1 && outW == 1) return input.mean(new int[]{2, 3}, true);
        if (h % outH != 0 || w % outW != 0)
            throw new UnsupportedOperationException(describe() + ": only an output of 1x1 or one that divides the input evenly is "
                    + "supported, got input " + input.describe());
        int kh = h / outH, kw = w / outW;
        return Pooling.avgPool2d(input, new Pool2dParams(kh, kw, kh, kw, 0, 0));
    }

    @Override
    public String describe() {
        return "AdaptiveAvgPool2d(output_size=(" + outH + ", " + outW + "))";
    }
}
