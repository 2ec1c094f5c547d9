package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.TensorData;

/** conv2d over [N, C, H, W] with PyTorch's weight layout [out, in/groups, kH, kW]. */
public final class Convolution {
    private Convolution() {}

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Conv2dParams p) {
        x = Autocast.lowerPrecision(x);
        weight = Autocast.lowerPrecision(weight);
        bias = Autocast.lowerPrecision(bias);
        Checks.compatible("conv2d", x, weight);
        Checks.floatingPoint("conv2d", x);
        Checks.rank("conv2d", x, 4, "[N, C, H, W] for the input");
        Checks.rank("conv2d", weight, 4, "[out_channels, in_channels/groups, kH, kW] for the weight");
        int[] xs = x.shape(), ws = weight.shape();
        if (xs[1] != ws[1] * p.groups())
            throw new IllegalArgumentException("conv2d: input " + x.describe() + " has " + xs[1] + " channels but the weight "
                    + weight.describe() + " with groups=" + p.groups() + " expects " + ws[1] * p.groups());
        if (ws[0] % p.groups() != 0)
            throw new IllegalArgumentException("conv2d: weight " + weight.describe() + " has " + ws[0] + " output channels, not divisible by groups=" + p.groups());
        if (bias != null) {
            Checks.compatible("conv2d", x, bias);
            if (bias.dim() != 1 || bias.shape()[0] != ws[0])
                throw new IllegalArgumentException("conv2d: bias " + bias.describe() + " must be [" + ws[0] + "] for weight " + weight.describe());
        }
        int oh = p.outH(xs[2], ws[2]), ow = p.outW(xs[3], ws[3]);
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException("conv2d: input " + x.describe() + " is smaller than the (dilated) kernel " + weight.describe()
                    + " with padding (" + p.padH() + ", " + p.padW() + ")");
        int[] outShape = {xs[0], ws[0], oh, ow};
        Tensor out = Tensor.empty(x.dtype(), x.device(), outShape);
        var backend = Backends.forDevice(x.device());
        backend.conv2d(x.data("conv2d"), weight.data("conv2d"), out.data("conv2d"), p);
        if (bias != null) {
            TensorData b = bias.data("conv2d");
            TensorData asChannels = b.withLayout(new int[]{1, ws[0], 1, 1}, new long[]{0, b.strides()[0], 0, 0}, b.offset());
            TensorData o = out.data("conv2d");
            backend.binary(BinaryOp.ADD, o, Layouts.broadcastTo(asChannels, outShape), o);
        }
        return Autograd.record("conv2d", out, Derivatives.conv2d(x, weight, bias != null, p), x, weight, bias);
    }

    /** conv2d's gradient with respect to its input; differentiable itself (for higher orders). */
    public static Tensor backwardInput(Tensor gradOut, Tensor weight, int[] inputShape, Conv2dParams p) {
        Tensor gradIn = Tensor.empty(gradOut.dtype(), gradOut.device(), inputShape);
        Backends.forDevice(gradOut.device()).conv2dBackwardInput(gradOut.data("conv2d backward"), weight.data("conv2d backward"), gradIn.data("conv2d backward"), p);
        return Autograd.record("conv2d_backward_input", gradIn, Derivatives.conv2dBackwardInput(gradOut, weight, p), gradOut, weight);
    }

    /** conv2d's gradient with respect to its weight; differentiable itself (for higher orders). */
    public static Tensor backwardWeight(Tensor x, Tensor gradOut, int[] weightShape, Conv2dParams p) {
        Tensor gradW = Tensor.empty(gradOut.dtype(), gradOut.device(), weightShape);
        Backends.forDevice(gradOut.device()).conv2dBackwardWeight(x.data("conv2d backward"), gradOut.data("conv2d backward"), gradW.data("conv2d backward"), p);
        return Autograd.record("conv2d_backward_weight", gradW, Derivatives.conv2dBackwardWeight(x, gradOut, p), x, gradOut);
    }
}
