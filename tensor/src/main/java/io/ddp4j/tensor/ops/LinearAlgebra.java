package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.TensorData;

import java.util.Arrays;

/** matmul with PyTorch's shape rules, and linear (x W^T + b) as one op with its own backward. */
public final class LinearAlgebra {
    private LinearAlgebra() {}

    public static Tensor matmul(Tensor a, Tensor b) {
        a = Autocast.lowerPrecision(a);
        b = Autocast.lowerPrecision(b);
        Checks.compatible("matmul", a, b);
        if (a.dim() == 0 || b.dim() == 0)
            throw new IllegalArgumentException("matmul: both operands need at least one dim, got " + a.describe() + " and " + b.describe());
        TensorData ad = a.data("matmul"), bd = b.data("matmul");
        // a vector is a 1-row (left) or 1-column (right) matrix whose extra dim is dropped at the end
        if (a.dim() == 1) ad = ad.withLayout(new int[]{1, a.shape()[0]}, new long[]{0, ad.strides()[0]}, ad.offset());
        if (b.dim() == 1) bd = bd.withLayout(new int[]{b.shape()[0], 1}, new long[]{bd.strides()[0], 0}, bd.offset());
        int m = ad.shape()[ad.rank() - 2], k = ad.shape()[ad.rank() - 1];
        int k2 = bd.shape()[bd.rank() - 2], n = bd.shape()[bd.rank() - 1];
        if (k != k2)
            throw new IllegalArgumentException("matmul: " + a.describe() + " and " + b.describe() + " cannot be multiplied (" + k + " != " + k2 + ")");
        int[] batch;
        try {
            batch = Checks.broadcastShapes("matmul", Arrays.copyOf(ad.shape(), ad.rank() - 2), Arrays.copyOf(bd.shape(), bd.rank() - 2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (batch dims of " + a.describe() + " and " + b.describe() + ")");
        }
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = Tensor.empty(a.dtype(), a.device(), outShape);
        batchedProduct(ad, bd, batch, m, k, n, out);
        int[] finalShape = resultShape(batch, a.dim() == 1 ? -1 : m, b.dim() == 1 ? -1 : n);
        if (finalShape.length != outShape.length) {
            Tensor squeezed = out.asStrided(finalShape, TensorData.contiguousStrides(finalShape), 0);
            out.close();
            out = squeezed;
        }
        return Autograd.record("matmul", out, Derivatives.matmul(a, b), a, b);
    }

    private static int[] resultShape(int[] batch, int m, int n) {
        int[] s = Arrays.copyOf(batch, batch.length + (m >= 0 ? 1 : 0) + (n >= 0 ? 1 : 0));
        int k = batch.length;
        if (m >= 0) s[k++] = m;
        if (n >= 0) s[k] = n;
        return s;
    }

    /** Flattens the batch dims of both operands to one (copying only when strides forbid it) and multiplies. */
    private static void batchedProduct(TensorData a, TensorData b, int[] batch, int m, int k, int n, Tensor out) {
        long batchCount = Layouts.numel(batch);
        try (Tensor a3 = as3d(a, batch, m, k, batchCount); Tensor b3 = as3d(b, batch, k, n, batchCount)) {
            int[] o3 = {(int) batchCount, m, n};
            Backends.forDevice(out.device()).matmul(a3.data("matmul"), b3.data("matmul"),
                    out.data("matmul").withLayout(o3, TensorData.contiguousStrides(o3), out.offset()));
        }
    }

    /** A [batch, rows, cols] tensor over t broadcast to the batch shape (a view where possible). */
    private static Tensor as3d(TensorData t, int[] batch, int rows, int cols, long batchCount) {
        int[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = rows;
        full[batch.length + 1] = cols;
        TensorData expanded = Layouts.broadcastTo(t, full);
        int[] shape3 = {(int) batchCount, rows, cols};
        long[] strides = Layouts.viewStrides(full, expanded.strides(), shape3);
        if (strides != null) {
            return Tensor.fromStorage(t.storage(), t.dtype(), shape3, strides, t.offset()).keep();
        }
        Tensor dense = Tensor.empty(t.dtype(), t.storage().device(), full).keep();
        Backends.forDevice(dense.device()).copy(expanded, dense.data("matmul"));
        Tensor view = dense.asStrided(shape3, TensorData.contiguousStrides(shape3), 0).keep();
        dense.close();
        return view;
    }

    /** y = x W^T + b over the last dim of x; weight [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        x = Autocast.lowerPrecision(x);
        weight = Autocast.lowerPrecision(weight);
        bias = Autocast.lowerPrecision(bias);
        Checks.compatible("linear", x, weight);
        Checks.rank("linear", weight, 2, "[out_features, in_features] for the weight");
        if (x.dim() == 0) throw new IllegalArgumentException("linear: the input needs at least one dim, got " + x.describe());
        int in = weight.shape()[1], outF = weight.shape()[0];
        if (x.shape()[x.dim() - 1] != in)
            throw new IllegalArgumentException("linear: input " + x.describe() + " has " + x.shape()[x.dim() - 1]
                    + " features but the weight " + weight.describe() + " expects " + in);
        if (bias != null) {
            Checks.compatible("linear", x, bias);
            if (bias.dim() != 1 || bias.shape()[0] != outF)
                throw new IllegalArgumentException("linear: bias " + bias.describe() + " must be [" + outF + "] for weight " + weight.describe());
        }
        int rows = (int) (x.numel() / in);
        int[] outShape = x.shape();
        outShape[outShape.length - 1] = outF;
        Tensor out = Tensor.empty(x.dtype(), x.device(), outShape);
        // x may have any strides: see it as [1, rows, in] when it can be, else copy it first
        TensorData xd = x.data("linear");
        TensorData wd = weight.data("linear");
        TensorData wT = wd.withLayout(new int[]{1, in, outF}, new long[]{0, wd.strides()[1], wd.strides()[0]}, wd.offset());
        TensorData od = out.data("linear").withLayout(new int[]{1, rows, outF}, new long[]{0, outF, 1}, 0);
        long[] xs = Layouts.viewStrides(x.shape(), x.strides(), new int[]{1, rows, in});
        Tensor dense = null;
        if (xs == null) {
            dense = Tensor.empty(x.dtype(), x.device(), x.shape()).keep();
            Backends.forDevice(x.device()).copy(xd, dense.data("linear"));
            xd = dense.data("linear");
            xs = new long[]{0, in, 1};
        }
        try {
            Backends.forDevice(x.device()).matmul(xd.withLayout(new int[]{1, rows, in}, xs, xd.offset()), wT, od);
        } finally {
            if (dense != null) dense.close();
        }
        if (bias != null) {
            TensorData o = out.data("linear");
            Backends.forDevice(x.device()).binary(BinaryOp.ADD, o, Layouts.broadcastTo(bias.data("linear"), outShape), o);
        }
        return Autograd.record("linear", out, Derivatives.linear(x, weight, bias != null), x, weight, bias);
    }
}
