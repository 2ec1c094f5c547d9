package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

import java.util.Arrays;

/**
 * PyTorch's initialisations ({@code torch.nn.init}) as factories of new tensors, and the default
 * generator modules draw from when none is passed ({@link #manualSeed} is {@code torch.manual_seed}).
 * The numbers are Philox's, so they are reproducible in ddp4j but not equal to PyTorch's draws.
 */
public final class Init {
    private static volatile Generator defaultGenerator = new Generator(0);

    private Init() {}

    /** The generator used when a module or dropout gets none. */
    public static Generator defaultGenerator() {
        return defaultGenerator;
    }

    /** Replaces the default generator with a fresh one seeded {@code seed}. */
    public static void manualSeed(long seed) {
        defaultGenerator = new Generator(seed);
    }

    /** U(low, high). */
    public static Tensor uniform(Generator gen, double low, double high, int... shape) {
        if (!(low <= high)) throw new IllegalArgumentException("uniform: low " + low + " must not exceed high " + high);
        try (GradMode.Guard g = GradMode.noGrad(); Tensor u = Tensor.rand(gen, shape).keep()) {
            Tensor scaled = u.mul(high - low).keep();
            try (scaled) {
                return scaled.add(low);
            }
        }
    }

    /** N(mean, std^2). */
    public static Tensor normal(Generator gen, double mean, double std, int... shape) {
        if (!(std >= 0)) throw new IllegalArgumentException("normal: std must be >= 0, got " + std);
        try (GradMode.Guard g = GradMode.noGrad(); Tensor n = Tensor.randn(gen, shape).keep()) {
            Tensor scaled = n.mul(std).keep();
            try (scaled) {
                return scaled.add(mean);
            }
        }
    }

    /**
     * The fan-in of a weight: its second dim times the product of the rest (a Linear weight
     * [out, in] has fan-in in; a Conv2d weight [out, in/groups, kH, kW] has in/groups * kH * kW).
     */
    public static int fanIn(int[] weightShape) {
        if (weightShape.length < 2)
            throw new IllegalArgumentException("fan in cannot be computed for a tensor with fewer than 2 dims, got " + Arrays.toString(weightShape));
        int fan = weightShape[1];
        for (int d = 2; d < weightShape.length; d++) fan *= weightShape[d];
        return fan;
    }

    /**
     * kaiming_uniform_(a, mode='fan_in', nonlinearity='leaky_relu'): U(-b, b) with
     * b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)). With a = sqrt(5), PyTorch's default
     * for Linear and Conv2d weights, b = 1 / sqrt(fan_in).
     */
    public static Tensor kaimingUniform(Generator gen, double a, int... shape) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        double bound = gain * Math.sqrt(3.0 / fanIn(shape));
        return uniform(gen, -bound, bound, shape);
    }

    /** The default bias of Linear and Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), 0 for fan_in 0. */
    public static Tensor fanInBias(Generator gen, int fanIn, int... shape) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(gen, -bound, bound, shape);
    }
}
