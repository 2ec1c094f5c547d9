package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.TensorData;

import java.util.Arrays;

/** Ops that return a new view of the same storage (and contiguous(), which copies when it must). */
public final class ViewOps {
    private ViewOps() {}

    private static Tensor view(Tensor t, int[] shape, long[] strides, long offset) {
        return t.asStrided(shape, strides, offset);
    }

    /** Resolves one -1 and checks the element count. */
    private static int[] resolveShape(String op, Tensor t, int[] newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1) {
                if (infer >= 0) throw new IllegalArgumentException(op + ": only one dim can be -1, got " + Arrays.toString(newShape));
                infer = d;
            } else if (s[d] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + s[d] + " in " + Arrays.toString(newShape));
            } else {
                known *= s[d];
            }
        }
        long numel = t.numel();
        if (infer >= 0) {
            if (known == 0 || numel % known != 0)
                throw new IllegalArgumentException(op + ": shape " + Arrays.toString(newShape) + " is invalid for " + t.describe() + " (" + numel + " elements)");
            s[infer] = (int) (numel / known);
        } else if (known != numel) {
            throw new IllegalArgumentException(op + ": shape " + Arrays.toString(newShape) + " is invalid for " + t.describe() + " (" + numel + " elements)");
        }
        return s;
    }

    public static Tensor reshape(Tensor t, int... newShape) {
        Checks.open("reshape", t);
        int[] shape = resolveShape("reshape", t, newShape);
        long[] strides = Layouts.viewStrides(t.shape(), t.strides(), shape);
        if (strides != null) return Autograd.record("reshape", view(t, shape, strides, t.offset()), Derivatives.reshape(t.shape()), t);
        Tensor dense = contiguous(t);
        Tensor out = view(dense, shape, TensorData.contiguousStrides(shape), dense.offset());
        // the copy is reachable only through the new view, which holds its own reference to the storage
        if (dense != t) dense.close();
        return Autograd.record("reshape", out, Derivatives.reshape(t.shape()), t);
    }

    public static Tensor view(Tensor t, int... newShape) {
        Checks.open("view", t);
        int[] shape = resolveShape("view", t, newShape);
        long[] strides = Layouts.viewStrides(t.shape(), t.strides(), shape);
        if (strides == null)
            throw new IllegalArgumentException("view: " + t.describe() + " with strides " + Arrays.toString(t.strides())
                    + " cannot be seen as shape " + Arrays.toString(shape) + " without copying; use reshape()");
        return Autograd.record("view", view(t, shape, strides, t.offset()), Derivatives.reshape(t.shape()), t);
    }

    public static Tensor flatten(Tensor t, int startDim, int endDim) {
        Checks.open("flatten", t);
        if (t.dim() == 0) return reshape(t, 1);
        int s = Checks.dim("flatten", startDim, t), e = Checks.dim("flatten", endDim, t);
        if (s > e) throw new IllegalArgumentException("flatten: startDim " + startDim + " comes after endDim " + endDim + " for " + t.describe());
        int[] shape = t.shape();
        int[] out = new int[shape.length - (e - s)];
        int k = 0;
        for (int d = 0; d < s; d++) out[k++] = shape[d];
        int merged = 1;
        for (int d = s; d <= e; d++) merged *= shape[d];
        out[k++] = merged;
        for (int d = e + 1; d < shape.length; d++) out[k++] = shape[d];
        return reshape(t, out);
    }

    public static Tensor transpose(Tensor t, int dim0, int dim1) {
        Checks.open("transpose", t);
        if (t.dim() < 2 && dim0 == dim1) return Autograd.record("transpose", view(t, t.shape(), t.strides(), t.offset()), Derivatives.reshape(t.shape()), t);
        int a = Checks.dim("transpose", dim0, t), b = Checks.dim("transpose", dim1, t);
        int[] shape = t.shape();
        long[] strides = t.strides();
        int si = shape[a]; shape[a] = shape[b]; shape[b] = si;
        long st = strides[a]; strides[a] = strides[b]; strides[b] = st;
        return Autograd.record("transpose", view(t, shape, strides, t.offset()), Derivatives.transpose(a, b), t);
    }

    public static Tensor permute(Tensor t, int... dims) {
        Checks.open("permute", t);
        if (dims.length != t.dim())
            throw new IllegalArgumentException("permute: " + Arrays.toString(dims) + " does not list the " + t.dim() + " dims of " + t.describe());
        int[] order = new int[dims.length];
        boolean[] seen = new boolean[dims.length];
        for (int i = 0; i < dims.length; i++) {
            order[i] = Checks.dim("permute", dims[i], t);
            if (seen[order[i]]) throw new IllegalArgumentException("permute: dim " + order[i] + " appears twice in " + Arrays.toString(dims));
            seen[order[i]] = true;
        }
        int[] shape = new int[order.length];
        long[] strides = new long[order.length];
        int[] inverse = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            shape[i] = t.shape()[order[i]];
            strides[i] = t.strides()[order[i]];
            inverse[order[i]] = i;
        }
        return Autograd.record("permute", view(t, shape, strides, t.offset()), Derivatives.permute(inverse), t);
    }

    public static Tensor narrow(Tensor t, int dim, int start, int length) {
        Checks.open("narrow", t);
        int d = Checks.dim("narrow", dim, t);
        int size = t.shape()[d];
        if (start < 0 || length < 0 || start + length > size)
            throw new IndexOutOfBoundsException("narrow: elements " + start + ".." + (start + length - 1) + " of dim " + d
                    + " are out of range for " + t.describe() + " (size " + size + ")");
        int[] shape = t.shape();
        shape[d] = length;
        long offset = t.offset() + start * t.strides()[d];
        return Autograd.record("narrow", view(t, shape, t.strides(), offset), Derivatives.narrow(t.shape(), d, start), t);
    }

    public static Tensor squeeze(Tensor t) {
        Checks.open("squeeze", t);
        int[] shape = t.shape();
        int n = 0;
        for (int s : shape) if (s != 1) n++;
        int[] outShape = new int[n];
        long[] outStrides = new long[n];
        int k = 0;
        for (int d = 0; d < shape.length; d++) if (shape[d] != 1) { outShape[k] = shape[d]; outStrides[k++] = t.strides()[d]; }
        return Autograd.record("squeeze", view(t, outShape, outStrides, t.offset()), Derivatives.reshape(t.shape()), t);
    }

    public static Tensor squeeze(Tensor t, int dim) {
        Checks.open("squeeze", t);
        int d = Checks.dim("squeeze", dim, t);
        if (t.dim() == 0 || t.shape()[d] != 1) return Autograd.record("squeeze", view(t, t.shape(), t.strides(), t.offset()), Derivatives.reshape(t.shape()), t);
        int[] shape = new int[t.dim() - 1];
        long[] strides = new long[t.dim() - 1];
        for (int i = 0, k = 0; i < t.dim(); i++) if (i != d) { shape[k] = t.shape()[i]; strides[k++] = t.strides()[i]; }
        return Autograd.record("squeeze", view(t, shape, strides, t.offset()), Derivatives.reshape(t.shape()), t);
    }

    public static Tensor unsqueeze(Tensor t, int dim) {
        Checks.open("unsqueeze", t);
        int d = Checks.dim("unsqueeze", dim, t.dim() + 1);
        int[] shape = new int[t.dim() + 1];
        long[] strides = new long[t.dim() + 1];
        for (int i = 0, k = 0; i <= t.dim(); i++) {
            if (i == d) {
                shape[i] = 1;
                strides[i] = d < t.dim() ? t.strides()[d] * t.shape()[d] : 1;
            } else {
                shape[i] = t.shape()[k];
                strides[i] = t.strides()[k++];
            }
        }
        return Autograd.record("unsqueeze", view(t, shape, strides, t.offset()), Derivatives.reshape(t.shape()), t);
    }

    public static Tensor expand(Tensor t, int... newShape) {
        Checks.open("expand", t);
        if (newShape.length < t.dim())
            throw new IllegalArgumentException("expand: shape " + Arrays.toString(newShape) + " has fewer dims than " + t.describe());
        int lead = newShape.length - t.dim();
        int[] shape = new int[newShape.length];
        long[] strides = new long[newShape.length];
        for (int d = 0; d < newShape.length; d++) {
            int want = newShape[d];
            if (d < lead) {
                if (want < 0) throw new IllegalArgumentException("expand: -1 is not allowed for the new leading dim " + d + " in " + Arrays.toString(newShape));
                shape[d] = want;
                continue;
            }
            int have = t.shape()[d - lead];
            if (want == -1 || want == have) {
                shape[d] = have;
                strides[d] = t.strides()[d - lead];
            } else if (have == 1) {
                shape[d] = want;
            } else {
                throw new IllegalArgumentException("expand: " + t.describe() + " cannot be expanded to " + Arrays.toString(newShape)
                        + " (dim " + d + " has size " + have + ", not 1)");
            }
        }
        return Autograd.record("expand", view(t, shape, strides, t.offset()), Derivatives.expand(t.shape()), t);
    }

    /** The tensor itself when contiguous, else a dense copy (differentiable). */
    public static Tensor contiguous(Tensor t) {
        Checks.open("contiguous", t);
        if (t.isContiguous()) return t;
        Tensor out = Tensor.empty(t.dtype(), t.device(), t.shape());
        Backends.forDevice(t.device()).copy(t.data("contiguous"), out.data("contiguous"));
        return Autograd.record("contiguous", out, Derivatives.identity(), t);
    }

    /** A dense copy with storage of its own, whatever the layout (differentiable; PyTorch's clone). */
    public static Tensor copy(Tensor t) {
        Checks.open("clone", t);
        Tensor out = Tensor.empty(t.dtype(), t.device(), t.shape());
        Backends.forDevice(t.device()).copy(t.data("clone"), out.data("clone"));
        return Autograd.record("clone", out, Derivatives.identity(), t);
    }
}
