package io.ddp4j.tensor.backend;

/** Elementwise functions of one tensor; each backend implements all of them. */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, ABS, RELU, SIGMOID, TANH,
    /** x * Phi(x), with the exact normal CDF (PyTorch's default "none" approximation). */
    GELU,
    /** d/dx gelu(x) = Phi(x) + x * phi(x); the gelu backward rule multiplies it by the gradient. */
    GELU_DERIVATIVE,
    /** 1 for x &gt; 0, 0 otherwise, in x's dtype; the relu backward rule multiplies by it. */
    STEP,
    SIGN
}
