package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.Tensor;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The sink node of a leaf that requires grad: adds the incoming gradient into the leaf's
 * {@code .grad} (in place when it already exists, so a .grad that is a view into a bucket keeps
 * being that view), then runs the leaf's grad-ready hooks. The engine runs it the moment its
 * last contribution arrived, so the hooks see the final gradient of this backward pass.
 */
public final class AccumulateGrad extends Node {
    private static final Node[] NONE = new Node[0];

    private final Tensor leaf;
    private final List<Consumer<Tensor>> hooks = new CopyOnWriteArrayList<>();

    public AccumulateGrad(Tensor leaf) {
        super("AccumulateGrad");
        this.leaf = leaf;
    }

    public Tensor leaf() {
        return leaf;
    }

    @Override
    Node[] next() {
        return NONE;
    }

    public HookHandle addHook(Consumer<Tensor> hook) {
        hooks.add(hook);
        return () -> hooks.remove(hook);
    }

    void accumulate(Tensor gradient) {
        leaf.accumulateGrad(gradient);
        for (Consumer<Tensor> hook : hooks) hook.accept(leaf);
    }
}
