package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.ReduceOp;
import io.ddp4j.tensor.backend.TensorData;

/** Reductions over dims, with or without keeping the reduced dims (as size 1). */
public final class Reductions {
    private Reductions() {}

    /** Runs the backend reduction into a keep-dim output, then drops the dims as a view if asked. */
    private static Tensor reduce(String name, ReduceOp op, Tensor x, int[] dims, boolean keepDim, DType outType) {
        int[] keepShape = Layouts.keepDimShape(x.shape(), dims);
        Tensor out = Tensor.empty(outType, x.device(), keepShape);
        if (x.numel() == 0 && (op == ReduceOp.MAX || op == ReduceOp.MIN) && out.numel() > 0) {
            out.close();
            throw new IllegalArgumentException(name + ": cannot reduce the empty " + x.describe() + " (no identity for " + name + ")");
        }
        Backends.forDevice(x.device()).reduce(op, x.data(name), dims, out.data(name));
        if (keepDim) return out;
        int[] shape = Layouts.dropDims(keepShape, dims);
        Tensor squeezed = out.asStrided(shape, TensorData.contiguousStrides(shape), 0);
        out.close();
        return squeezed;
    }

    public static Tensor sum(Tensor x, int[] dims, boolean keepDim) {
        Checks.open("sum", x);
        x = Autocast.fp32(x);
        int[] d = Checks.dims("sum", dims, x);
        DType outType = x.dtype().isFloatingPoint() ? x.dtype() : DType.I64;
        Tensor out = reduce("sum", ReduceOp.SUM, x, d, keepDim, outType);
        return Autograd.record("sum", out, Derivatives.sum(x.shape(), d, 1.0), x);
    }

    public static Tensor mean(Tensor x, int[] dims, boolean keepDim) {
        Checks.open("mean", x);
        Checks.floatingPoint("mean", x);
        x = Autocast.fp32(x);
        int[] d = Checks.dims("mean", dims, x);
        long count = 1;
        for (int k : d) count *= x.shape()[k];
        Tensor out = reduce("mean", ReduceOp.MEAN, x, d, keepDim, x.dtype());
        return Autograd.record("mean", out, Derivatives.sum(x.shape(), d, 1.0 / count), x);
    }

    public static Tensor max(Tensor x, int[] dims, boolean keepDim) {
        Checks.open("max", x);
        int[] d = Checks.dims("max", dims, x);
        Tensor out = reduce("max", ReduceOp.MAX, x, d, keepDim, x.dtype());
        return Autograd.record("max", out, Derivatives.max(x, d, out), x);
    }

    public static Tensor argmax(Tensor x, int dim, boolean keepDim) {
        Checks.open("argmax", x);
        if (x.dtype() == DType.BOOL) throw new IllegalArgumentException("argmax: not implemented for bool tensors (as in PyTorch), got " + x.describe());
        int d = Checks.dim("argmax", dim, x);
        if (x.dim() == 0) return Tensor.zeros(DType.I64, x.device());
        if (x.shape()[d] == 0) throw new IllegalArgumentException("argmax: dim " + d + " of " + x.describe() + " is empty");
        int[] keepShape = Layouts.keepDimShape(x.shape(), new int[]{d});
        Tensor out = Tensor.empty(DType.I64, x.device(), keepShape);
        Backends.forDevice(x.device()).argmax(x.data("argmax"), d, out.data("argmax"));
        if (keepDim) return out;
        int[] shape = Layouts.dropDims(keepShape, new int[]{d});
        Tensor squeezed = out.asStrided(shape, TensorData.contiguousStrides(shape), 0);
        out.close();
        return squeezed;
    }

    /** sum((x - mean)^2) / (n - correction), written with differentiable ops. */
    public static Tensor var(Tensor x, int[] dims, int correction, boolean keepDim) {
        Checks.open("var", x);
        Checks.floatingPoint("var", x);
        x = Autocast.fp32(x);
        int[] d = Checks.dims("var", dims, x);
        long n = 1;
        for (int k : d) n *= x.shape()[k];
        Tensor centered = x.sub(mean(x, d, true));
        return sum(centered.mul(centered), d, keepDim).div(Math.max(0, n - correction));
    }

    /**
     * Sums a broadcast gradient back to the shape of the operand it came from: over the leading
     * dims the operand lacked and over its size-1 dims that were repeated.
     */
    public static Tensor sumToShape(Tensor g, int[] shape) {
        int[] gs = g.shape();
        if (java.util.Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        int count = 0;
        int[] dims = new int[gs.length];
        for (int d = 0; d < gs.length; d++)
            if (d < lead || (shape[d - lead] == 1 && gs[d] != 1)) dims[count++] = d;
        Tensor summed = sum(g, java.util.Arrays.copyOf(dims, count), true);
        return summed.reshape(shape);
    }
}
