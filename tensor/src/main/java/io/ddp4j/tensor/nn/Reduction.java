package io.ddp4j.tensor.nn;

/** How a loss reduces its per-element values, PyTorch's {@code reduction=} argument. */
public enum Reduction {
    /** The average (PyTorch's default). */
    MEAN,
    /** The total. */
    SUM
}
