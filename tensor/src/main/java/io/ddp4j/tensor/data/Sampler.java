package io.ddp4j.tensor.data;

/**
 * The order in which a data loader visits sample indices, PyTorch's {@code Sampler}. Samplers
 * that shuffle draw their order from a seed and an epoch, so the order is the same in every
 * process and every run for a given (seed, epoch).
 */
public interface Sampler {
    /** How many indices {@link #indices()} returns. */
    int size();

    /** This epoch's indices, in order. */
    int[] indices();

    /** Selects the epoch whose order {@link #indices()} gives; samplers that do not shuffle ignore it. */
    default void setEpoch(long epoch) {}
}
