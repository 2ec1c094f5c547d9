package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Default initialisations are PyTorch's distributions, drawn reproducibly from a generator. */
class InitTest {

    /** Checks values are in [-bound, bound], reach near both ends, and have U(-b, b)'s mean 0 and variance b^2/3. */
    private static void assertUniform(float[] v, double bound, String what) {
        double sum = 0, sq = 0, min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float x : v) {
            sum += x;
            sq += (double) x * x;
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        int n = v.length;
        double mean = sum / n, var = sq / n - mean * mean;
        double sd = bound / Math.sqrt(3);
        assertTrue(min >= -bound && max <= bound, what + ": values in [" + min + ", " + max + "] exceed +-" + bound);
        assertTrue(min < -0.98 * bound && max > 0.98 * bound, what + ": values in [" + min + ", " + max + "] do not fill +-" + bound);
        assertTrue(Math.abs(mean) < 5 * sd / Math.sqrt(n), what + ": mean " + mean);
        // the sample variance of a uniform has relative standard error about sqrt(0.8 / n)
        assertEquals(sd * sd, var, 5 * sd * sd * Math.sqrt(0.8 / n), what + ": variance");
    }

    @Test
    void linearWeightAndBiasAreUniformWithinOneOverSqrtFanIn() {
        try (Linear l = new Linear(1000, 400, true, new Generator(1))) {
            assertUniform(l.weight().toFloatArray(), 1 / Math.sqrt(1000), "Linear(1000, 400).weight");
            float[] bias = l.bias().toFloatArray();
            for (float b : bias) assertTrue(Math.abs(b) <= 1 / Math.sqrt(1000), "bias " + b);
        }
    }

    @Test
    void convFanInCountsInputChannelsPerGroupTimesKernelArea() {
        try (Conv2d c = new Conv2d(32, 128, 3, 1, 1, 1, 2, true, new Generator(2))) {
            // fan_in = 32/2 * 3 * 3 = 144, so the bound is 1/12
            assertUniform(c.weight().toFloatArray(), 1.0 / 12, "Conv2d(32, 128, 3, groups=2).weight");
            for (float b : c.bias().toFloatArray()) assertTrue(Math.abs(b) <= 1.0 / 12, "bias " + b);
        }
    }

    @Test
    void kaimingUniformUsesTheLeakyReluGain() {
        // a = 0 gives gain sqrt(2) and bound sqrt(6 / fan_in), PyTorch's kaiming_uniform_ for ReLU
        try (Tensor w = Init.kaimingUniform(new Generator(3), 0, 300, 600).keep()) {
            assertUniform(w.toFloatArray(), Math.sqrt(6.0 / 600), "kaiming_uniform_(a=0)");
        }
    }

    @Test
    void embeddingIsStandardNormal() {
        try (Embedding e = new Embedding(200, 500, new Generator(4))) {
            float[] v = e.weight().toFloatArray();
            double sum = 0, sq = 0;
            for (float x : v) {
                sum += x;
                sq += (double) x * x;
            }
            double mean = sum / v.length, var = sq / v.length - mean * mean;
            assertEquals(0, mean, 5 / Math.sqrt(v.length));
            assertEquals(1, var, 5 * Math.sqrt(2.0 / v.length));
        }
    }

    @Test
    void normalisationLayersStartAsTheIdentity() {
        try (BatchNorm2d bn = new BatchNorm2d(3); LayerNorm ln = new LayerNorm(4)) {
            var s = bn.stateDict();
            assertArrayEquals(new float[]{1, 1, 1}, s.get("weight").toFloatArray());
            assertArrayEquals(new float[]{0, 0, 0}, s.get("bias").toFloatArray());
            assertArrayEquals(new float[]{0, 0, 0}, s.get("running_mean").toFloatArray());
            assertArrayEquals(new float[]{1, 1, 1}, s.get("running_var").toFloatArray());
            assertEquals(DType.I64, s.get("num_batches_tracked").dtype());
            assertEquals(0, s.get("num_batches_tracked").item());
            assertEquals(0.1, bn.momentum());
            assertEquals(1e-5, bn.eps());
            assertArrayEquals(new float[]{1, 1, 1, 1}, ln.stateDict().get("weight").toFloatArray());
            assertArrayEquals(new float[]{0, 0, 0, 0}, ln.stateDict().get("bias").toFloatArray());
        }
    }

    @Test
    void theSameSeedGivesTheSameModelAndAnotherSeedAnotherOne() {
        try (Linear a = new Linear(20, 10, true, new Generator(9));
             Linear b = new Linear(20, 10, true, new Generator(9));
             Linear c = new Linear(20, 10, true, new Generator(10))) {
            assertArrayEquals(a.weight().toFloatArray(), b.weight().toFloatArray());
            assertArrayEquals(a.bias().toFloatArray(), b.bias().toFloatArray());
            assertFalse(java.util.Arrays.equals(a.weight().toFloatArray(), c.weight().toFloatArray()));
        }
    }

    @Test
    void manualSeedMakesTheDefaultGeneratorReproducible() {
        Init.manualSeed(123);
        float[] first;
        try (Linear a = new Linear(5, 5)) {
            first = a.weight().toFloatArray();
        }
        Init.manualSeed(123);
        try (Linear b = new Linear(5, 5)) {
            assertArrayEquals(first, b.weight().toFloatArray());
        }
    }
}
