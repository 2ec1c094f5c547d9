package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Functional;

import java.util.ArrayList;
import java.util.List;

/**
 * Rows of tensors that share their first dim, PyTorch's {@code TensorDataset}: sample i is the i-th
 * row of each (views, no copy); a batch gathers the rows with one index_select per tensor. The
 * tensors stay the caller's: this data set neither keeps nor closes them.
 */
public final class TensorDataset implements BatchedDataset {
    private final List<Tensor> tensors;
    private final int size;

    public TensorDataset(Tensor... tensors) {
        if (tensors.length == 0) throw new IllegalArgumentException("TensorDataset: needs at least one tensor");
        for (Tensor t : tensors)
            if (t.dim() == 0) throw new IllegalArgumentException("TensorDataset: " + t.describe() + " has no first dim to index");
        this.size = tensors[0].size(0);
        for (int i = 1; i < tensors.length; i++)
            if (tensors[i].size(0) != size)
                throw new IllegalArgumentException("TensorDataset: size mismatch between tensors: tensor 0 " + tensors[0].describe()
                        + " and tensor " + i + " " + tensors[i].describe() + " must share their first dim");
        this.tensors = List.of(tensors);
    }

    @Override
    public int size() {
        return size;
    }

    private void check(int index) {
        if (index < 0 || index >= size) throw new IndexOutOfBoundsException("TensorDataset: index " + index + " is outside [0, " + size + ")");
    }

    @Override
    public List<Tensor> get(int index) {
        check(index);
        List<Tensor> row = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) row.add(t.narrow(0, index, 1).squeeze(0));
        return row;
    }

    @Override
    public Batch getBatch(int[] indices) {
        long[] idx = new long[indices.length];
        for (int k = 0; k < indices.length; k++) {
            check(indices[k]);
            idx[k] = indices[k];
        }
        Tensor index = Tensor.fromArray(idx);
        List<Tensor> out = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) out.add(Functional.indexSelect(t, 0, index));
        index.close();
        return new Batch(out);
    }
}
