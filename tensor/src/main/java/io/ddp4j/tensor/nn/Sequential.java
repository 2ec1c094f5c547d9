package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/**
 * Runs its children in order, each on the previous one's output; children are named "0", "1", ...
 * as in PyTorch's {@code nn.Sequential}, so parameter keys read "0.weight", "3.bias".
 */
public class Sequential extends Module {
    private int count;

    public Sequential(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends a module under the next index. */
    public final Sequential add(Module module) {
        registerModule(Integer.toString(count++), module);
        return this;
    }

    public final int size() {
        return count;
    }

    public final Module get(int index) {
        if (index < 0 || index >= count) throw new IndexOutOfBoundsException(describe() + " has " + count + " modules, no index " + index);
        return namedChildren().get(Integer.toString(index));
    }

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : namedChildren().values()) x = m.forward(x);
        return x;
    }
}
