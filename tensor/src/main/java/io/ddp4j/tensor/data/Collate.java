package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Functional;

import java.util.ArrayList;
import java.util.List;

/** Turns the samples of one batch into a {@link Batch}, PyTorch's {@code collate_fn}. */
@FunctionalInterface
public interface Collate<T> {
    Batch collate(List<T> samples);

    /**
     * PyTorch's default collation for tuples of tensors: stacks the k-th tensor of every sample
     * into the k-th tensor of the batch (0-d labels become [B]).
     */
    static Collate<List<Tensor>> stack() {
        return samples -> {
            if (samples.isEmpty()) throw new IllegalArgumentException("collate: a batch needs at least one sample");
            int width = samples.get(0).size();
            List<Tensor> out = new ArrayList<>(width);
            for (int k = 0; k < width; k++) {
                List<Tensor> column = new ArrayList<>(samples.size());
                for (int i = 0; i < samples.size(); i++) {
                    List<Tensor> sample = samples.get(i);
                    if (sample.size() != width)
                        throw new IllegalArgumentException("collate: sample " + i + " has " + sample.size() + " tensors, sample 0 has " + width);
                    column.add(sample.get(k));
                }
                out.add(Functional.stack(column, 0));
            }
            return new Batch(out);
        };
    }
}
