package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.ScopePerTest;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each layer computes, checked against values worked out by hand from PyTorch's definitions. */
@ExtendWith(ScopePerTest.class)
class LayersTest {
    @Test
    void linearComputesXTimesWeightTransposedPlusBias() {
        try (Linear l = new Linear(2, 2, true, new Generator(1))) {
            l.loadStateDict(java.util.Map.of("weight", Tensor.fromArray(new float[]{1, 2, 3, 4}, 2, 2), "bias", Tensor.fromArray(new float[]{10, 20})));
            // [1, 1] W^T + b = [1+2, 3+4] + [10, 20]
            assertArrayEquals(new float[]{13, 27}, l.forward(Tensor.fromArray(new float[]{1, 1}, 1, 2)).toFloatArray());
            var e = assertThrows(IllegalArgumentException.class, () -> l.forward(Tensor.zeros(1, 3)));
            assertTrue(e.getMessage().startsWith("Linear(in_features=2, out_features=2, bias=true): expected an input whose last dim is 2"), e.getMessage());
        }
    }

    @Test
    void batchNormTrainsOnBatchStatisticsAndMovesRunningOnesByMomentum() {
        try (BatchNorm1d bn = new BatchNorm1d(2)) {
            // channel 0: 1, 3 (mean 2, biased var 1, unbiased 2); channel 1: 0, 0
            Tensor x = Tensor.fromArray(new float[]{1, 0, 3, 0}, 2, 2);
            float[] y = bn.forward(x).toFloatArray();
            double s = 1 / Math.sqrt(1 + 1e-5);
            assertArrayEquals(new float[]{(float) -s, 0, (float) s, 0}, y, 1e-6f);
            var st = bn.stateDict();
            assertArrayEquals(new float[]{0.9f * 0 + 0.1f * 2, 0}, st.get("running_mean").toFloatArray(), 1e-7f);
            assertArrayEquals(new float[]{0.9f + 0.1f * 2, 0.9f}, st.get("running_var").toFloatArray(), 1e-7f);
            assertEquals(1, st.get("num_batches_tracked").item());
            bn.forward(x);
            assertEquals(2, st.get("num_batches_tracked").item());

            bn.eval();
            float[] evalOut = bn.forward(Tensor.fromArray(new float[]{2, 1}, 1, 2)).toFloatArray();
            float rm = st.get("running_mean").toFloatArray()[0], rv = st.get("running_var").toFloatArray()[0];
            assertEquals((2 - rm) / Math.sqrt(rv + 1e-5), evalOut[0], 1e-5);
            assertEquals(2, st.get("num_batches_tracked").item(), "evaluation does not count batches");
        }
    }

    @Test
    void batchNormRefusesTheWrongRankOrChannelCount() {
        try (BatchNorm2d bn = new BatchNorm2d(3)) {
            var rank = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 3)));
            assertTrue(rank.getMessage().contains("expected a 4-d [N, C, H, W] input"), rank.getMessage());
            var channels = assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.zeros(2, 4, 2, 2)));
            assertTrue(channels.getMessage().contains("expected 3 channels in dim 1"), channels.getMessage());
        }
    }

    @Test
    void layerNormNormalisesEachRowAndTrainsWeightAndBias() {
        try (LayerNorm ln = new LayerNorm(4)) {
            Tensor x = Tensor.fromArray(new float[]{1, 2, 3, 4, 10, 10, 10, 10}, 2, 4);
            float[] y = ln.forward(x).toFloatArray();
            double sd = Math.sqrt(1.25 + 1e-5); // biased variance of 1..4 is 1.25
            float[] expected = {(float) (-1.5 / sd), (float) (-0.5 / sd), (float) (0.5 / sd), (float) (1.5 / sd), 0, 0, 0, 0};
            assertArrayEquals(expected, y, 1e-5f);
            ln.forward(x).sum().backward();
            // d(sum)/d(bias) is the number of rows; d(sum)/d(weight) is the column sum of the normalised values
            assertArrayEquals(new float[]{2, 2, 2, 2}, ln.namedParameters().get("bias").grad().toFloatArray());
            assertArrayEquals(new float[]{expected[0], expected[1], expected[2], expected[3]}, ln.namedParameters().get("weight").grad().toFloatArray(), 1e-5f);
        }
    }

    @Test
    void dropoutDropsOnlyInTraining() {
        Dropout d = new Dropout(0.5, new Generator(5));
        Tensor x = Tensor.ones(10_000);
        float[] y = d.forward(x).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0 || v == 2, "kept values are scaled by 1/(1-p): " + v);
            if (v == 0) zeros++;
        }
        assertEquals(5000, zeros, 5 * 50, "about half are dropped");
        d.eval();
        assertArrayEquals(x.toFloatArray(), d.forward(x).toFloatArray());
    }

    @Test
    void poolingLayers() {
        Tensor x = Tensor.arange(0, 16, 1, DType.F32).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[]{5, 7, 13, 15}, new MaxPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new float[]{2.5f, 4.5f, 10.5f, 12.5f}, new AvgPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new float[]{2.5f, 4.5f, 10.5f, 12.5f}, new AdaptiveAvgPool2d(2).forward(x).toFloatArray(),
                "an output that divides the input is plain average pooling");
        Tensor global = new AdaptiveAvgPool2d(1).forward(x);
        assertArrayEquals(new int[]{1, 1, 1, 1}, global.shape());
        assertEquals(7.5, global.item(), 1e-6);
        var e = assertThrows(UnsupportedOperationException.class, () -> new AdaptiveAvgPool2d(3).forward(x));
        assertTrue(e.getMessage().contains("AdaptiveAvgPool2d(output_size=(3, 3))"), e.getMessage());
    }

    @Test
    void activationsFlattenAndEmbedding() {
        Tensor x = Tensor.fromArray(new float[]{-1, 0, 2}, 3);
        assertArrayEquals(new float[]{0, 0, 2}, new ReLU().forward(x).toFloatArray());
        // gelu(x) = x * Phi(x): Phi(-1) = 0.158655, Phi(2) = 0.977250
        assertArrayEquals(new float[]{-0.158655f, 0, 2 * 0.977250f}, new GELU().forward(x).toFloatArray(), 1e-5f);
        assertArrayEquals(new int[]{2, 12}, new Flatten().forward(Tensor.zeros(2, 3, 4)).shape());
        assertArrayEquals(new int[]{24}, new Flatten(0, -1).forward(Tensor.zeros(2, 3, 4)).shape());
        try (Embedding e = new Embedding(4, 2, new Generator(1))) {
            float[] w = e.weight().toFloatArray();
            Tensor out = e.forward(Tensor.fromArray(new long[]{3, 0, 3}, 1, 3));
            assertArrayEquals(new int[]{1, 3, 2}, out.shape());
            assertArrayEquals(new float[]{w[6], w[7], w[0], w[1], w[6], w[7]}, out.toFloatArray());
        }
    }

    @Test
    void lossesFollowTorchFormulas() {
        Tensor logits = Tensor.fromArray(new float[]{2, 0, 0, 1}, 2, 2);
        Tensor target = Tensor.fromArray(new long[]{0, 0});
        double lse0 = Math.log(Math.exp(2) + 1), lse1 = Math.log(1 + Math.exp(1));
        double plain = ((lse0 - 2) + (lse1 - 0)) / 2;
        assertEquals(plain, new CrossEntropyLoss().forward(logits, target).item(), 1e-6);
        assertEquals(2 * plain, new CrossEntropyLoss(0, Reduction.SUM).forward(logits, target).item(), 1e-5);
        // label smoothing s over C classes: (1 - s) * nll + s * mean over classes of -log p
        double s = 0.2;
        double smooth0 = (1 - s) * (lse0 - 2) + s * ((lse0 - 2) + (lse0 - 0)) / 2;
        double smooth1 = (1 - s) * (lse1 - 0) + s * ((lse1 - 0) + (lse1 - 1)) / 2;
        assertEquals((smooth0 + smooth1) / 2, new CrossEntropyLoss(s).forward(logits, target).item(), 1e-6);

        Tensor a = Tensor.fromArray(new float[]{1, 2, 3}), b = Tensor.fromArray(new float[]{1, 0, 0});
        assertEquals((0 + 4 + 9) / 3.0, new MSELoss().forward(a, b).item(), 1e-6);
        assertEquals(13, new MSELoss(Reduction.SUM).forward(a, b).item(), 1e-6);
        var e = assertThrows(IllegalArgumentException.class, () -> new MSELoss().forward(a, Tensor.zeros(3, 1)));
        assertTrue(e.getMessage().contains("must have the same shape"), e.getMessage());
    }

    @Test
    void referenceModelsMapImagesToTenLogits() {
        try (Sequential mlp = ReferenceModels.mlp(new Generator(1)); Sequential cnn = ReferenceModels.cnn(new Generator(1))) {
            Tensor images = Tensor.rand(new Generator(2), 3, 1, 28, 28);
            assertArrayEquals(new int[]{3, 10}, mlp.forward(images).shape());
            assertArrayEquals(new int[]{3, 10}, mlp.forward(images.reshape(3, 784)).shape());
            Tensor out = cnn.forward(images);
            assertArrayEquals(new int[]{3, 10}, out.shape());
            out.sum().backward();
            cnn.parameters().forEach(p -> assertEquals(p.numel(), p.grad().numel(), p.name() + " got a gradient"));
        }
    }
}
