package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.PendingUpload;

import java.util.ArrayList;
import java.util.List;

/**
 * One batch from a {@link DataLoader}: tensors whose first dim is the batch (e.g. images
 * [B, 1, 28, 28] and labels [B]). Made on a worker thread, it belongs to no scope: close it when
 * done ({@code try (batch) { ... }}), or the Cleaner frees it later.
 *
 * <p>A batch a loader copied to a device may still be arriving: it carries the copies in flight,
 * and the loader orders them before the consumer's compute work when it hands the batch out.
 */
public final class Batch implements AutoCloseable {
    private final List<Tensor> tensors;
    private final List<PendingUpload> uploads;

    public Batch(List<Tensor> tensors) {
        this(tensors, List.of());
    }

    /** A batch whose tensors are filled by {@code uploads} still in flight; the batch owns them until handed out. */
    public Batch(List<Tensor> tensors, List<PendingUpload> uploads) {
        this.tensors = List.copyOf(tensors);
        if (this.tensors.isEmpty()) throw new IllegalArgumentException("a batch needs at least one tensor");
        this.uploads = new ArrayList<>(uploads);
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    public List<Tensor> tensors() {
        return tensors;
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

    /** The copies still in flight, now the caller's to order and close; the batch keeps none. */
    synchronized List<PendingUpload> takeUploads() {
        List<PendingUpload> taken = List.copyOf(uploads);
        uploads.clear();
        return taken;
    }

    @Override
    public void close() {
        takeUploads().forEach(PendingUpload::close);
        tensors.forEach(Tensor::close);
    }

    @Override
    public String toString() {
        return "Batch" + tensors.stream().map(t -> java.util.Arrays.toString(t.shape())).toList();
    }
}
