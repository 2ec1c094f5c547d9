package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * A data set of tensor tuples that can gather a whole batch at once (PyTorch's
 * {@code __getitems__}): one gather per tensor instead of one small tensor per sample and a stack.
 * The result must equal stacking {@link #get} of each index, which is the default.
 */
public interface BatchedDataset extends Dataset<List<Tensor>> {
    default Batch getBatch(int[] indices) {
        List<List<Tensor>> samples = new ArrayList<>(indices.length);
        for (int i : indices) samples.add(get(i));
        return Collate.stack().collate(samples);
    }
}
