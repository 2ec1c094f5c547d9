package io.ddp4j.tensor.amp;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** float16 training on the CPU, where f16 really overflows and underflows. */
class GradScalerTest {
    private Scope scope;
    private Generator gen;
    private Linear model;
    private SGD sgd;

    @BeforeEach
    void open() {
        scope = Scope.open();
        gen = new Generator(7);
        model = new Linear(8, 4, true, gen);
        sgd = new SGD(model.parameters(), SGD.options().lr(0.1));
    }

    @AfterEach
    void close() {
        scope.close();
        sgd.close();
        model.close();
    }

    private final Tensor targets = Tensor.fromArray(new long[]{0, 1, 2, 3}).keep();

    /** The f16-autocast cross entropy of the model on {@code x}, times {@code factor} (in fp32). */
    private Tensor loss(Tensor x, double factor) {
        try (Autocast a = Autocast.enable(DType.F16)) {
            Tensor l = Functional.crossEntropy(model.forward(x), targets);
            return factor == 1 ? l : l.mul(factor);
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private float[] params() {
        return concat(model.weight().toFloatArray(), model.bias().toFloatArray());
    }

    @Test
    void overflowingStepsAreSkippedAndTheScaleBacksOffUntilTheyFit() {
        // inputs near 50: the weight gradient is about scale * 25, past f16's 65504 until the scale drops below ~2600
        Tensor x = Tensor.rand(gen, 4, 8).mul(10).add(45);
        sgd.paramGroups().get(0).setLr(1e-3); // small steps: the logits stay well inside f16's range
        GradScaler scaler = new GradScaler();
        assertEquals(65536.0, scaler.getScale());
        int skipped = 0, taken = 0;
        for (int it = 0; it < 12; it++) {
            sgd.zeroGrad();
            scaler.scale(loss(x, 1)).backward();
            float[] before = params();
            double scaleBefore = scaler.getScale();
            boolean stepped = scaler.step(sgd);
            assertEquals(!stepped, scaler.foundInf(sgd));
            scaler.update();
            if (stepped) {
                taken++;
                assertFalse(java.util.Arrays.equals(before, params()), "a step that ran changed the parameters");
                assertEquals(scaleBefore, scaler.getScale(), "no growth before the growth interval");
            } else {
                skipped++;
                assertEquals(0, taken, "once the scale fits, these inputs do not overflow again");
                assertArrayEquals(before, params(), 0f, "a skipped step leaves the parameters alone");
                assertEquals(scaleBefore / 2, scaler.getScale(), "backoff by 0.5");
            }
            for (float v : params()) assertTrue(Float.isFinite(v));
        }
        assertTrue(skipped >= 3, "f16 overflowed at the first scales: " + skipped);
        assertTrue(taken >= 5, "steps ran once the scale was small enough: " + taken);
        assertEquals(taken, scaler.growthTracker());
    }

    @Test
    void scalingKeepsGradientsThatF16WouldFlushToZero() {
        // gradient of the logits ~1e-6 (subnormal in f16), inputs ~1e-3: the weight gradient ~1e-9 is below f16's smallest value
        Tensor x = Tensor.rand(gen, 4, 8).mul(1e-3).add(1e-3);
        // reference: the same computation in fp32
        Functional.crossEntropy(model.forward(x), targets).mul(1e-5).backward();
        float[] reference = model.weight().grad().toFloatArray();
        sgd.zeroGrad();

        loss(x, 1e-5).backward();
        float[] unscaled = model.weight().grad().toFloatArray();
        int zeros = 0;
        for (float v : unscaled) if (v == 0) zeros++;
        assertEquals(unscaled.length, zeros, "without scaling every weight gradient underflows in f16");
        sgd.zeroGrad();

        GradScaler scaler = new GradScaler();
        scaler.scale(loss(x, 1e-5)).backward();
        scaler.unscale(sgd);
        assertFalse(scaler.foundInf(sgd));
        float[] scaled = model.weight().grad().toFloatArray();
        double max = 0;
        for (float v : reference) max = Math.max(max, Math.abs(v));
        assertTrue(max > 0);
        for (int i = 0; i < scaled.length; i++)
            assertEquals(reference[i], scaled[i], 0.02 * max, "weight grad " + i + " after unscaling");
        assertTrue(scaler.step(sgd));
        scaler.update();
    }

    @Test
    void theScaleGrowsAfterTheGrowthIntervalAndABackoffResetsTheCount() {
        GradScaler scaler = new GradScaler(GradScaler.options().initScale(4).growthInterval(3).growthFactor(2).backoffFactor(0.25));
        Tensor w = model.weight();
        for (int i = 0; i < 3; i++) {
            setGrads(1f);
            assertTrue(scaler.step(sgd));
            scaler.update();
        }
        assertEquals(8.0, scaler.getScale(), "grown once after 3 clean steps");
        assertEquals(0, scaler.growthTracker());
        setGrads(1f);
        scaler.step(sgd);
        scaler.update();
        assertEquals(1, scaler.growthTracker());
        setGrads(Float.NaN);
        assertFalse(scaler.step(sgd), "a NaN gradient skips the step");
        scaler.update();
        assertEquals(2.0, scaler.getScale());
        assertEquals(0, scaler.growthTracker());
        setGrads(Float.NEGATIVE_INFINITY);
        assertFalse(scaler.step(sgd));
        scaler.update(1024);
        assertEquals(1024.0, scaler.getScale(), "update(newScale) sets it");
        assertTrue(w.grad() != null);
    }

    @Test
    void unscaleDividesEveryGradientByTheScale() {
        GradScaler scaler = new GradScaler(GradScaler.options().initScale(8));
        setGrads(2f);
        scaler.unscale(sgd);
        for (float v : model.weight().grad().toFloatArray()) assertEquals(0.25f, v);
        for (float v : model.bias().grad().toFloatArray()) assertEquals(0.25f, v);
        float[] before = params();
        assertTrue(scaler.step(sgd), "step after unscale does not unscale again");
        float[] after = params();
        for (int i = 0; i < before.length; i++) assertEquals(before[i] - 0.1f * 0.25f, after[i], 1e-6);
        scaler.update();
    }

    private void setGrads(float value) {
        for (Tensor p : model.parameters()) {
            Tensor old = p.grad();
            p.setGrad(Tensor.full(value, DType.F32, p.device(), p.shape()).keep());
            if (old != null) old.close();
        }
    }

    @Test
    void misuseIsRefusedWithPyTorchsRules() {
        GradScaler scaler = new GradScaler();
        assertThrows(IllegalStateException.class, scaler::update, "update before any step");
        setGrads(1f);
        scaler.unscale(sgd);
        assertThrows(IllegalStateException.class, () -> scaler.unscale(sgd), "unscale twice");
        scaler.step(sgd);
        assertThrows(IllegalStateException.class, () -> scaler.step(sgd), "step twice");
        assertThrows(IllegalStateException.class, () -> scaler.unscale(sgd), "unscale after step");
        scaler.update();
        Tensor p16 = Tensor.ones(DType.F16, 2).setRequiresGrad(true);
        p16.setGrad(Tensor.ones(DType.F16, 2));
        SGD half = new SGD(java.util.List.of(p16), SGD.options());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scaler.unscale(half));
        assertTrue(e.getMessage().contains("float16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new GradScaler(GradScaler.options().backoffFactor(1)));
        assertThrows(IllegalArgumentException.class, () -> new GradScaler(GradScaler.options().initScale(1e40)));
    }

    @Test
    void aDisabledScalerIsTransparent() {
        GradScaler scaler = new GradScaler(GradScaler.options().enabled(false));
        Tensor l = Tensor.scalar(3, DType.F32);
        assertSame(l, scaler.scale(l));
        setGrads(Float.POSITIVE_INFINITY);
        assertTrue(scaler.step(sgd), "disabled: the optimizer steps whatever the gradients");
        scaler.update();
        assertEquals(1.0, scaler.getScale());
        assertTrue(scaler.stateDict().isEmpty());
    }

    @Test
    void theStateDictRoundTripsAndRefusesWhatDoesNotFit() {
        GradScaler a = new GradScaler(GradScaler.options().initScale(256).growthInterval(5));
        setGrads(1f);
        a.step(sgd);
        a.update();
        setGrads(Float.NaN);
        a.step(sgd);
        a.update();
        setGrads(1f);
        a.step(sgd);
        a.update();
        Map<String, Tensor> sd = a.stateDict();
        assertEquals(128.0, sd.get("scale").item());
        assertEquals(1L, (long) sd.get("_growth_tracker").item());
        GradScaler b = new GradScaler(GradScaler.options().growthInterval(5));
        b.loadStateDict(sd);
        assertEquals(128.0, b.getScale());
        assertEquals(1, b.growthTracker());
        GradScaler other = new GradScaler(GradScaler.options().growthInterval(7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> other.loadStateDict(sd));
        assertTrue(e.getMessage().contains("growth_interval"), e.getMessage());
        Map<String, Tensor> broken = new java.util.LinkedHashMap<>(sd);
        broken.remove("scale");
        broken.put("bogus", Tensor.scalar(1, DType.F64));
        e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(broken));
        assertTrue(e.getMessage().contains("missing \"scale\"") && e.getMessage().contains("unexpected key \"bogus\""), e.getMessage());
    }
}
