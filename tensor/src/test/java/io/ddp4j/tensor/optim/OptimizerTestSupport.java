package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;

/** Parameters and gradients set by hand, so tests can follow PyTorch's update formulas step by step. */
final class OptimizerTestSupport {
    private OptimizerTestSupport() {}

    static Tensor param(double... values) {
        return Tensor.fromArray(toFloats(values)).keep().setRequiresGrad(true);
    }

    /** Replaces p's gradient with {@code values} (closing the previous one the test gave it). */
    static void setGrad(Tensor p, double... values) {
        Tensor old = p.grad();
        p.setGrad(Tensor.fromArray(toFloats(values)).keep());
        if (old != null) old.close();
    }

    static float[] toFloats(double... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) f[i] = (float) values[i];
        return f;
    }

    static double[] values(Tensor t) {
        return t.toDoubleArray();
    }
}
