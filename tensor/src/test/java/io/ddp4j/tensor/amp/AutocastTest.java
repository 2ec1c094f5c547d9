package io.ddp4j.tensor.amp;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.BatchNorm2d;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.nn.LayerNorm;
import io.ddp4j.tensor.nn.Linear;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AutocastTest {
    private Scope scope;
    private Generator gen;

    @BeforeEach
    void open() {
        scope = Scope.open();
        gen = new Generator(42);
    }

    @AfterEach
    void close() {
        scope.close();
        assertFalse(Autocast.isEnabled(), "a test left autocast on");
    }

    /** The value float32 {@code v} takes in {@code d} (the backends round to nearest even). */
    private static float round(float v, DType d) {
        return Tensor.fromArray(new float[]{v}).to(d).toFloatArray()[0];
    }

    @Test
    void scopesNestAndRestoreWhatWasThere() {
        assertFalse(Autocast.isEnabled());
        try (Autocast outer = Autocast.enable(DType.BF16)) {
            assertEquals(DType.BF16, Autocast.dtype());
            try (Autocast inner = Autocast.enable(DType.F16)) {
                assertEquals(DType.F16, Autocast.dtype());
                try (Autocast off = Autocast.disable()) {
                    assertFalse(Autocast.isEnabled());
                    assertNull(off.scopeDType());
                }
                assertEquals(DType.F16, Autocast.dtype());
                inner.close();
                inner.close(); // idempotent
                assertEquals(DType.BF16, Autocast.dtype());
            }
            assertEquals(DType.BF16, outer.scopeDType());
        }
        assertNull(Autocast.dtype());
        assertThrows(IllegalArgumentException.class, () -> Autocast.enable(DType.F32));
        assertThrows(IllegalArgumentException.class, () -> Autocast.enable(DType.I64));
    }

    @Test
    void theStateIsPerThread() throws Exception {
        try (Autocast a = Autocast.enable(DType.BF16)) {
            assertFalse(CompletableFuture.supplyAsync(Autocast::isEnabled).get());
            Autocast[] other = new Autocast[1];
            Thread t = new Thread(() -> other[0] = Autocast.enable(DType.F16));
            t.start();
            t.join();
            assertThrows(IllegalStateException.class, () -> other[0].close(), "closed on the wrong thread");
            assertEquals(DType.BF16, Autocast.dtype());
        }
    }

    @Test
    void linearRunsInBf16WithTheProductOfTheRoundedInputsRoundedOnce() {
        float[] xv = {0.1f, -1.337f, 2.71828f, 0.3333f, -0.77f, 1.0009765f};
        float[] wv = {0.5f, 0.123456f, -3.14159f, 1.1f, 0.0078125f, -0.9f};
        float[] bv = {0.01f, -0.2f};
        Tensor x = Tensor.fromArray(xv, 2, 3), w = Tensor.fromArray(wv, 2, 3), b = Tensor.fromArray(bv, 2);
        Tensor y;
        try (Autocast a = Autocast.enable(DType.BF16)) {
            y = Functional.linear(x, w, b);
        }
        assertEquals(DType.BF16, y.dtype());
        float[] got = y.toFloatArray();
        for (int i = 0; i < 2; i++)
            for (int o = 0; o < 2; o++) {
                double acc = 0;
                for (int k = 0; k < 3; k++) acc += (double) round(xv[i * 3 + k], DType.BF16) * round(wv[o * 3 + k], DType.BF16);
                float product = round((float) acc, DType.BF16);
                float expected = round(product + round(bv[o], DType.BF16), DType.BF16);
                assertEquals(expected, got[i * 2 + o], 0.0, "y[" + i + "][" + o + "]");
            }
        // the same op without autocast stays float32 and is exact to fp32 rounding
        Tensor full = Functional.linear(x, w, b);
        assertEquals(DType.F32, full.dtype());
        assertEquals(0.1f * 0.5f - 1.337f * 0.123456f + 2.71828f * -3.14159f + 0.01f, full.toFloatArray()[0], 1e-5);
    }

    @Test
    void matmulAndConvUseTheAutocastDtypeAndLeaveFloat64Alone() {
        Tensor a = Tensor.randn(gen, 3, 4), b = Tensor.randn(gen, 4, 5);
        Tensor img = Tensor.randn(gen, 2, 3, 6, 6), k = Tensor.randn(gen, 4, 3, 3, 3), kb = Tensor.randn(gen, 4);
        try (Autocast ac = Autocast.enable(DType.F16)) {
            Tensor ab = a.matmul(b);
            assertEquals(DType.F16, ab.dtype());
            assertArrayEquals(a.to(DType.F16).matmul(b.to(DType.F16)).toFloatArray(), ab.toFloatArray(), 0f);
            Tensor conv = Functional.conv2d(img, k, kb, 1, 1);
            assertEquals(DType.F16, conv.dtype());
            float[] ref;
            try (Autocast off = Autocast.disable()) {
                ref = Functional.conv2d(img.to(DType.F16), k.to(DType.F16), kb.to(DType.F16), 1, 1).toFloatArray();
            }
            assertArrayEquals(ref, conv.toFloatArray(), 0f);
            Tensor d = a.to(DType.F64).matmul(b.to(DType.F64));
            assertEquals(DType.F64, d.dtype(), "float64 is not autocast, as in PyTorch");
            Tensor ints = Tensor.fromArray(new long[]{1, 2, 3, 4}, 2, 2);
            assertSame(ints, Autocast.lowerPrecision(ints));
            assertNull(Autocast.lowerPrecision(null));
        }
    }

    @Test
    void fp32OpsUpcastLowPrecisionInputs() {
        Tensor logits = Tensor.randn(gen, 4, 5).to(DType.BF16);
        Tensor targets = Tensor.fromArray(new long[]{0, 3, 4, 1});
        try (Autocast ac = Autocast.enable(DType.BF16)) {
            assertEquals(DType.F32, logits.softmax(1).dtype());
            assertEquals(DType.F32, logits.logSoftmax(1).dtype());
            assertEquals(DType.F32, Functional.crossEntropy(logits, targets).dtype());
            assertEquals(DType.F32, logits.sum().dtype());
            assertEquals(DType.F32, logits.mean(1, false).dtype());
            assertEquals(DType.F32, logits.var(new int[]{1}, false).dtype());
            assertEquals(DType.F32, new LayerNorm(5).forward(logits).dtype());
            BatchNorm2d bn = new BatchNorm2d(3);
            assertEquals(DType.F32, bn.forward(Tensor.randn(gen, 2, 3, 4, 4).to(DType.F16)).dtype());
            // values: the fp32 op on the (exactly representable) upcast input
            float[] ref;
            try (Autocast off = Autocast.disable()) {
                ref = logits.to(DType.F32).softmax(1).toFloatArray();
            }
            assertArrayEquals(ref, logits.softmax(1).toFloatArray(), 0f);
        }
        assertEquals(DType.BF16, logits.softmax(1).dtype(), "outside autocast the op keeps its dtype");
    }

    @Test
    void mixedFloatDtypesPromoteToTheWiderOne() {
        Tensor h = Tensor.ones(DType.BF16, 3), f = Tensor.full(0.5, 3);
        try (Autocast ac = Autocast.enable(DType.BF16)) {
            Tensor s = h.add(f);
            assertEquals(DType.F32, s.dtype());
            assertArrayEquals(new float[]{1.5f, 1.5f, 1.5f}, s.toFloatArray());
            assertEquals(DType.F32, Tensor.where(h.gt(0), h, f).dtype());
            assertEquals(DType.F32, Tensor.ones(DType.F16, 1).add(Tensor.ones(DType.BF16, 1)).dtype());
            assertEquals(DType.F64, Tensor.ones(DType.F64, 1).mul(Tensor.ones(DType.BF16, 1)).dtype());
        }
    }

    @Test
    void gradientsReachTheFloat32ParametersInFloat32() {
        Linear l1 = new Linear(6, 8, true, gen), l2 = new Linear(8, 3, true, gen);
        Tensor x = Tensor.randn(gen, 5, 6);
        Tensor y = Tensor.fromArray(new long[]{0, 1, 2, 1, 0});
        // reference: full precision
        Tensor refLoss = Functional.crossEntropy(l2.forward(l1.forward(x).relu()), y);
        refLoss.backward();
        float[] refW1 = l1.weight().grad().toFloatArray(), refB2 = l2.bias().grad().toFloatArray();
        l1.parameters().forEach(p -> p.setGrad(null));
        l2.parameters().forEach(p -> p.setGrad(null));

        Tensor loss;
        try (Autocast ac = Autocast.enable(DType.BF16)) {
            Tensor h = l1.forward(x);
            assertEquals(DType.BF16, h.dtype());
            Tensor logits = l2.forward(h.relu());
            assertEquals(DType.BF16, logits.dtype());
            loss = Functional.crossEntropy(logits, y);
            assertEquals(DType.F32, loss.dtype());
            loss.backward(); // backward inside the scope works too: the engine suspends autocast
        }
        assertEquals(refLoss.item(), loss.item(), 0.05);
        for (Tensor p : l1.parameters()) {
            assertEquals(DType.F32, p.dtype());
            assertEquals(DType.F32, p.grad().dtype(), "the gradient of an fp32 parameter is fp32");
        }
        float[] w1 = l1.weight().grad().toFloatArray(), b2 = l2.bias().grad().toFloatArray();
        double scale = 0;
        for (float v : refW1) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < w1.length; i++) assertEquals(refW1[i], w1[i], 0.05 * scale + 1e-3, "weight grad " + i);
        for (int i = 0; i < b2.length; i++) assertEquals(refB2[i], b2[i], 0.02, "bias grad " + i);
    }

    @Test
    void aCastTakesNoPartWhenTheInputAlreadyHasTheDtype() {
        Tensor a = Tensor.randn(gen, 2, 2).to(DType.BF16);
        try (Autocast ac = Autocast.enable(DType.BF16)) {
            assertSame(a, Autocast.lowerPrecision(a));
            Tensor f = Tensor.ones(2);
            assertSame(f, Autocast.fp32(f));
        }
        assertSame(a, Autocast.fp32(a), "off: nothing is cast");
    }
}
