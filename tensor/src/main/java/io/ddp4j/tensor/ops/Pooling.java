package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.Pool2dParams;

/** max_pool2d and avg_pool2d over [N, C, H, W]. */
public final class Pooling {
    private Pooling() {}

    private static int[] outShape(String op, Tensor x, Pool2dParams p) {
        Checks.open(op, x);
        Checks.floatingPoint(op, x);
        Checks.rank(op, x, 4, "[N, C, H, W]");
        int[] s = x.shape();
        int oh = p.outH(s[2]), ow = p.outW(s[3]);
        if (oh <= 0 || ow <= 0)
            throw new IllegalArgumentException(op + ": input " + x.describe() + " is smaller than the kernel (" + p.kernelH() + ", " + p.kernelW() + ")");
        return new int[]{s[0], s[1], oh, ow};
    }

    public static Tensor maxPool2d(Tensor x, Pool2dParams p) {
        int[] shape = outShape("max_pool2d", x, p);
        Tensor out = Tensor.empty(x.dtype(), x.device(), shape);
        Tensor indices = Tensor.empty(DType.I64, x.device(), shape);
        Backends.forDevice(x.device()).maxPool2d(x.data("max_pool2d"), out.data("max_pool2d"), indices.data("max_pool2d"), p);
        return Autograd.record("max_pool2d", out, Derivatives.maxPool2d(indices, x.shape(), p), x);
    }

    public static Tensor avgPool2d(Tensor x, Pool2dParams p) {
        int[] shape = outShape("avg_pool2d", x, p);
        Tensor out = Tensor.empty(x.dtype(), x.device(), shape);
        Backends.forDevice(x.device()).avgPool2d(x.data("avg_pool2d"), out.data("avg_pool2d"), p);
        return Autograd.record("avg_pool2d", out, Derivatives.avgPool2d(x.shape(), p), x);
    }

    public static Tensor maxPool2dBackward(Tensor gradOut, Tensor indices, int[] inputShape, Pool2dParams p) {
        Tensor gradIn = Tensor.zeros(gradOut.dtype(), gradOut.device(), inputShape);
        Backends.forDevice(gradOut.device()).maxPool2dBackward(gradOut.data("max_pool2d backward"), indices.data("max_pool2d backward"),
                gradIn.data("max_pool2d backward"), p);
        return Autograd.record("max_pool2d_backward", gradIn, Derivatives.maxPool2dBackward(indices), gradOut);
    }

    /**
     * u[n, c, indices[n, c, y, z]] for every output position: what max_pool2d's backward scattered
     * to, read back (its adjoint). indices hold flat positions within each [H, W] plane.
     */
    public static Tensor gatherWinners(Tensor u, Tensor indices) {
        int[] us = u.shape(), is = indices.shape();
        long plane = (long) us[2] * us[3];
        Tensor planeStarts = Creation.arange(0L, (long) us[0] * us[1] * plane, plane, DType.I64, u.device()).reshape(us[0], us[1], 1, 1);
        Tensor flatIndex = indices.add(planeStarts).reshape(-1);
        return Indexing.indexSelect(u.reshape(-1), 0, flatIndex).reshape(is);
    }

    public static Tensor avgPool2dBackward(Tensor gradOut, int[] inputShape, Pool2dParams p) {
        Tensor gradIn = Tensor.zeros(gradOut.dtype(), gradOut.device(), inputShape);
        Backends.forDevice(gradOut.device()).avgPool2dBackward(gradOut.data("avg_pool2d backward"), gradIn.data("avg_pool2d backward"), p);
        return Autograd.record("avg_pool2d_backward", gradIn, Derivatives.avgPool2dBackward(p), gradOut);
    }
}
