package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.ops.Checks;

import java.util.Arrays;

/**
 * How ops record themselves ({@link #record}), and PyTorch's {@code torch.autograd.grad}
 * ({@link #grad}): gradients handed back instead of accumulated into .grad, optionally with a graph
 * of their own for higher-order derivatives.
 */
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
            next[i] = Engine.nodeOf(in);
            any = true;
        }
        if (any) output.attachGradFn(new FunctionNode(op, rule, next, inputs));
        return output;
    }

    /**
     * d(output)/d(input) for each input, with the gradient of a one-element output implied as 1.
     * See {@link #grad(Tensor[], Tensor[], Tensor[], boolean, boolean, boolean)}.
     */
    public static Tensor[] grad(Tensor output, Tensor... inputs) {
        return grad(new Tensor[]{output}, inputs, null, false, false, false);
    }

    /**
     * d(output)/d(input) with a graph of their own ({@code createGraph}), for a higher derivative:
     * {@code Autograd.gradWithGraph(y, x)[0]} is dy/dx, and its own backward gives d²y/dx².
     */
    public static Tensor[] gradWithGraph(Tensor output, Tensor... inputs) {
        return grad(new Tensor[]{output}, inputs, null, true, true, false);
    }

    /**
     * PyTorch's {@code torch.autograd.grad}: the sum over outputs of d(output_k)/d(input_i) weighted
     * by {@code gradOutputs[k]} (null, or a null entry, means 1 for a one-element output), for each
     * input, leaf or not. No .grad is touched and no grad-ready hook fires; only the part of the
     * graph between the outputs and the inputs runs.
     *
     * @param retainGraph  keep the graph for another backward (PyTorch's default: createGraph)
     * @param createGraph  record the computation of the gradients, so they can be differentiated
     *                     again; the gradients and what they were made from belong to the caller's
     *                     scope, as forward tensors do. Without it, the gradients belong to the
     *                     caller's scope and carry no graph.
     * @param allowUnused  give null for an input the outputs do not depend on, instead of throwing
     */
    public static Tensor[] grad(Tensor[] outputs, Tensor[] inputs, Tensor[] gradOutputs, boolean retainGraph, boolean createGraph,
                                boolean allowUnused) {
        if (outputs.length == 0) throw new IllegalArgumentException("grad: needs at least one output");
        if (inputs.length == 0) throw new IllegalArgumentException("grad: needs at least one input");
        if (gradOutputs != null && gradOutputs.length != outputs.length)
            throw new IllegalArgumentException("grad: " + gradOutputs.length + " gradOutputs for " + outputs.length + " outputs");
        Checks.open("grad", outputs);
        Checks.open("grad", inputs);
        for (int i = 0; i < inputs.length; i++)
            if (!inputs[i].requiresGrad())
                throw new IllegalArgumentException("grad: input " + i + " " + inputs[i].describe()
                        + " does not require grad, so no gradient can be computed for it");
        Tensor[] seeds = new Tensor[outputs.length];
        Tensor[] implied = new Tensor[outputs.length];
        try {
            for (int k = 0; k < outputs.length; k++) {
                Tensor out = outputs[k];
                if (Engine.nodeOf(out) == null)
                    throw new IllegalArgumentException("grad: output " + k + " " + out.describe() + " does not require grad and has no grad_fn");
                Tensor seed = gradOutputs == null ? null : gradOutputs[k];
                if (seed == null) {
                    if (out.numel() != 1)
                        throw new IllegalArgumentException("grad: a gradient can be implied only for a one-element output, got output " + k + " "
                                + out.describe() + "; pass its gradOutputs entry");
                    try (GradMode.Guard g = GradMode.noGrad()) {
                        seed = implied[k] = out.onesLike();
                    }
                } else {
                    Checks.open("grad", seed);
                    if (!Arrays.equals(seed.shape(), out.shape()) || seed.dtype() != out.dtype() || !seed.device().equals(out.device()))
                        throw new IllegalArgumentException("grad: gradOutputs " + k + " " + seed.describe() + " must match output " + k + " "
                                + out.describe() + " (shape, dtype and device)");
                }
                seeds[k] = seed;
            }
            Tensor[] result = Engine.grad(outputs, seeds, inputs, retainGraph, createGraph);
            if (!allowUnused)
                for (int i = 0; i < inputs.length; i++)
                    if (result[i] == null) {
                        for (Tensor r : result) if (r != null && !createGraph) r.close();
                        throw new IllegalArgumentException("grad: input " + i + " " + inputs[i].describe()
                                + " was not used to compute the outputs; pass allowUnused=true to get null for it");
                    }
            return result;
        } finally {
            // with a graph the implied ones may be saved in it (a product's rule keeps its operands), so
            // they stay in the caller's scope with the rest of that graph
            if (!createGraph) for (Tensor t : implied) if (t != null) t.close();
        }
    }
}
