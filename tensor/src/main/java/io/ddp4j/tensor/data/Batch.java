package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Tensor;

import java.util.List;

/**
 * One batch from a {@link DataLoader}: tensors whose first dim is the batch (e.g. images
 * [B, 1, 28, 28] and labels [B]). Made on a worker thread, it belongs to no scope: close it when
 * done ({@code try (batch) { ... }}), or the Cleaner frees it later.
 */
public record Batch(List<Tensor> tensors) implements AutoCloseable {
    public Batch {
        tensors = List.copyOf(tensors);
        if (tensors.isEmpty()) throw new IllegalArgumentException("a batch needs at least one tensor");
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    public Tensor get(int i) {
        return tensors.get(i);
    }

    /** The batch size: the first dim of the first tensor. */
    public int size() {
        Tensor first = tensors.get(0);
        return first.dim() == 0 ? 1 : first.size(0);
    }

    /** Takes the tensors out of the current scope, so they outlive it; returns this. */
    public Batch keep() {
        tensors.forEach(Tensor::keep);
        return this;
    }

    @Override
    public void close() {
        tensors.forEach(Tensor::close);
    }
}
