package io.ddp4j.tensor.autograd;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A vertex of the backward graph. Edges point from an op's output towards its inputs' nodes: the
 * nodes of earlier ops, or the {@link AccumulateGrad} of a leaf. The sequence number orders nodes
 * by creation, so the engine runs later ops first, as PyTorch's does.
 */
public abstract sealed class Node permits FunctionNode, AccumulateGrad {
    private static final AtomicLong SEQUENCE = new AtomicLong();

    final long sequence = SEQUENCE.getAndIncrement();
    private final String name;

    Node(String name) {
        this.name = name;
    }

    /** The op's name, e.g. "linear" or "AccumulateGrad". */
    public String name() {
        return name;
    }

    /** The nodes the gradients flow on to, one per input; null where an input needs no gradient. */
    abstract Node[] next();

    @Override
    public String toString() {
        return name + "#" + sequence;
    }
}
