package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;

import java.util.Arrays;

/** The node of one differentiable op: its backward rule, and what its inputs looked like. */
public final class FunctionNode extends Node {
    private final Node[] next;
    /** Every input that has a node: what a backward pass, which runs the whole graph, asks for. */
    private final boolean[] everyInputWithANode;
    private final int[][] inputShapes;
    private final DType[] inputDTypes;
    private GradFn rule;

    FunctionNode(String name, GradFn rule, Node[] next, Tensor[] inputs) {
        super(name);
        this.rule = rule;
        this.next = next;
        this.inputShapes = new int[next.length][];
        this.inputDTypes = new DType[next.length];
        this.everyInputWithANode = new boolean[next.length];
        for (int i = 0; i < next.length; i++) {
            everyInputWithANode[i] = next[i] != null;
            if (inputs[i] != null) {
                inputShapes[i] = inputs[i].shape();
                inputDTypes[i] = inputs[i].dtype();
            }
        }
    }

    @Override
    Node[] next() {
        return next;
    }

    boolean[] everyInputWithANode() {
        return everyInputWithANode;
    }

    boolean isReleased() {
        return rule == null;
    }

    /** Drops the rule and with it the tensors it saved, so they can be freed. */
    void release() {
        rule = null;
    }

    /** The inputs' gradients for the output's; {@code needs[i]} says which the pass wants (only inputs with a node). */
    Tensor[] apply(Tensor gradOutput, boolean[] needs) {
        if (rule == null)
            throw new IllegalStateException("backward: the graph through '" + name() + "' was already freed by an earlier "
                    + "backward(); pass retainGraph=true to the first backward() to go through it twice");
        Tensor[] grads = rule.backward(gradOutput, needs);
        for (int i = 0; i < next.length; i++) {
            if (!needs[i] || grads[i] == null) continue;
            if (!Arrays.equals(grads[i].shape(), inputShapes[i]) || grads[i].dtype() != inputDTypes[i])
                throw new IllegalStateException("backward of '" + name() + "' gave input " + i + " a gradient "
                        + grads[i].dtype() + Arrays.toString(grads[i].shape()) + " but the input is "
                        + inputDTypes[i] + Arrays.toString(inputShapes[i]));
        }
        return grads;
    }
}
