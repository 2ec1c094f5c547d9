package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.TensorData;

import java.util.Arrays;
import java.util.List;

/** cat, stack, index_select and embedding. */
public final class Indexing {
    private Indexing() {}

    public static Tensor cat(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("cat: needs at least one tensor");
        Tensor first = tensors.get(0);
        Tensor[] all = tensors.toArray(Tensor[]::new);
        Checks.open("cat", all);
        int d = Checks.dim("cat", dim, first);
        if (first.dim() == 0) throw new IllegalArgumentException("cat: zero-dimensional tensors cannot be concatenated; use stack");
        int total = 0;
        for (int i = 0; i < all.length; i++) {
            Tensor t = all[i];
            Checks.sameDevice("cat", first, t);
            Checks.sameDType("cat", first, t);
            boolean ok = t.dim() == first.dim();
            for (int k = 0; ok && k < t.dim(); k++) ok = k == d || t.shape()[k] == first.shape()[k];
            if (!ok)
                throw new IllegalArgumentException("cat: tensor " + i + " " + t.describe() + " does not match tensor 0 " + first.describe()
                        + " outside dim " + d);
            total += t.shape()[d];
        }
        int[] shape = first.shape();
        shape[d] = total;
        Tensor out = Tensor.empty(first.dtype(), first.device(), shape);
        TensorData od = out.data("cat");
        int[] sizes = new int[all.length];
        long at = 0;
        for (int i = 0; i < all.length; i++) {
            int[] part = shape.clone();
            part[d] = sizes[i] = all[i].shape()[d];
            TensorData slot = od.withLayout(part, od.strides(), od.offset() + at * od.strides()[d]);
            Backends.forDevice(out.device()).copy(all[i].data("cat"), slot);
            at += sizes[i];
        }
        return Autograd.record("cat", out, Derivatives.cat(d, sizes), all);
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        if (tensors.isEmpty()) throw new IllegalArgumentException("stack: needs at least one tensor");
        int d = Checks.dim("stack", dim, tensors.get(0).dim() + 1);
        for (int i = 1; i < tensors.size(); i++)
            if (!Arrays.equals(tensors.get(i).shape(), tensors.get(0).shape()))
                throw new IllegalArgumentException("stack: tensor " + i + " " + tensors.get(i).describe() + " has another shape than tensor 0 "
                        + tensors.get(0).describe());
        return cat(tensors.stream().map(t -> t.unsqueeze(d)).toList(), d);
    }

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        Checks.open("index_select", x, index);
        Checks.sameDevice("index_select", x, index);
        int d = Checks.dim("index_select", dim, x);
        if (index.dtype() != DType.I64 || index.dim() > 1)
            throw new IllegalArgumentException("index_select: the index must be a 0-d or 1-d int64 tensor, got " + index.describe());
        if (x.dim() == 0) throw new IllegalArgumentException("index_select: cannot index the 0-d " + x.describe());
        int[] shape = x.shape();
        shape[d] = (int) index.numel();
        Tensor out = Tensor.empty(x.dtype(), x.device(), shape);
        TensorData idx = index.data("index_select");
        if (index.dim() == 0) idx = idx.withLayout(new int[]{1}, new long[]{1}, idx.offset());
        Backends.forDevice(x.device()).indexSelect(x.data("index_select"), d, idx, out.data("index_select"));
        return Autograd.record("index_select", out, Derivatives.indexSelect(x.shape(), d, index), x);
    }

    /** out = zeros(shape) with src's slices added at the indices along dim. */
    public static Tensor indexAddToZeros(int[] shape, int dim, Tensor index, Tensor src) {
        Tensor out = Tensor.zeros(src.dtype(), src.device(), shape);
        TensorData idx = index.data("index_add");
        if (index.dim() == 0) idx = idx.withLayout(new int[]{1}, new long[]{1}, idx.offset());
        Backends.forDevice(src.device()).indexAdd(out.data("index_add"), dim, idx, src.data("index_add"));
        return Autograd.record("index_add", out, Derivatives.indexAddToZeros(dim, index), src);
    }

    /** Rows of weight [num, dim] picked by int64 indices of any shape: result is indices.shape + [dim]. */
    public static Tensor embedding(Tensor indices, Tensor weight) {
        Checks.open("embedding", indices, weight);
        Checks.rank("embedding", weight, 2, "[num_embeddings, embedding_dim] for the weight");
        if (indices.dtype() != DType.I64)
            throw new IllegalArgumentException("embedding: indices must be int64, got " + indices.describe());
        int[] shape = Arrays.copyOf(indices.shape(), indices.dim() + 1);
        shape[indices.dim()] = weight.shape()[1];
        try {
            return indexSelect(weight, 0, indices.reshape((int) indices.numel())).reshape(shape);
        } catch (IndexOutOfBoundsException e) {
            throw new IndexOutOfBoundsException("embedding: " + e.getMessage() + " (weight " + weight.describe() + ")");
        }
    }
}
