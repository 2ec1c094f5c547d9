package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Tensor;

/**
 * A criterion: a scalar (or per-element) loss of a prediction against a target. PyTorch makes
 * losses Modules; here they are their own type because they take two inputs and hold no state.
 */
public interface Loss {
    Tensor forward(Tensor input, Tensor target);
}
