package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

/**
 * A number that meets a tensor in an op: a Python int ({@link Int}, kept as a long so that int64
 * values above 2^53 reach the tensor exactly) or a Python float ({@link Float}). Which of the two
 * it is decides the result type (PyTorch's type promotion of scalars).
 */
sealed interface Scalar {
    record Int(long value) implements Scalar {
        @Override public double doubleValue() { return value; }
        @Override public String toString() { return "the integer " + value; }
    }

    record Float(double value) implements Scalar {
        @Override public double doubleValue() { return value; }
        @Override public String toString() { return "the float " + value; }
    }

    double doubleValue();

    default boolean isFloat() {
        return this instanceof Float;
    }

    /**
     * A 0-d tensor holding this number in {@code dtype} on {@code device}, outside any scope (callers
     * close it). An int goes into the dtype in one conversion: wrapped into a narrower integer type,
     * rounded once into a float type.
     */
    default Tensor tensor(DType dtype, Device device) {
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor t = switch (this) {
                case Int i -> Creation.full(i.value(), dtype, device);
                case Float f -> Creation.full(f.value(), dtype, device);
            };
            return t.keep();
        }
    }
}
