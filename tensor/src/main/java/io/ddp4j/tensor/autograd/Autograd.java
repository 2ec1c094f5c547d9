package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.Tensor;

/** How ops record themselves: one call after computing their output. */
public final class Autograd {
    private Autograd() {}

    /**
     * Gives {@code output} a backward node when grad mode is on and some input requires grad;
     * returns {@code output}. Inputs may be null (optional arguments such as a missing bias).
     */
    public static Tensor record(String op, Tensor output, GradFn rule, Tensor... inputs) {
        if (!GradMode.isEnabled()) return output;
        Node[] next = new Node[inputs.length];
        boolean any = false;
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            if (in == null || !in.requiresGrad()) continue;
            next[i] = in.gradFn() != null ? in.gradFn() : in.gradAccumulator();
            any = true;
        }
        if (any) output.attachGradFn(new FunctionNode(op, rule, next, inputs));
        return output;
    }
}
