package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.Tensor;

/**
 * The backward rule of one recorded op: given the gradient of its output, the gradients of its
 * inputs (null where {@code needsInputGrad[i]} is false or the input gets none). Rules live in
 * {@link Derivatives}.
 */
@FunctionalInterface
public interface GradFn {
    Tensor[] backward(Tensor gradOutput, boolean[] needsInputGrad);
}
