package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Parameter and buffer names and shapes are PyTorch's, so checkpoints can be exchanged. */
class ModuleNamesTest {
    private static final Generator GEN = new Generator(7);

    private static Map<String, List<Integer>> shapes(Map<String, Tensor> tensors) {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, java.util.Arrays.stream(t.shape()).boxed().toList()));
        return out;
    }

    @Test
    void mlpHasTorchSequentialKeysAndShapes() {
        try (Sequential mlp = ReferenceModels.mlp(GEN)) {
            // print({k: list(v.shape) for k, v in mlp.state_dict().items()}) in PyTorch
            assertEquals(Map.of(
                    "1.weight", List.of(256, 784), "1.bias", List.of(256),
                    "3.weight", List.of(128, 256), "3.bias", List.of(128),
                    "5.weight", List.of(10, 128), "5.bias", List.of(10)), shapes(mlp.stateDict()));
            assertEquals(List.of("1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"), List.copyOf(mlp.stateDict().keySet()));
            assertEquals(235_146, mlp.parameterCount());
        }
    }

    @Test
    void batchNormCnnListsParametersThenBuffersPerModuleInOrder() {
        try (Sequential cnn = ReferenceModels.cnnBatchNorm(GEN)) {
            assertEquals(List.of("0.weight",
                    "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
                    "4.weight",
                    "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked",
                    "9.weight", "9.bias", "11.weight", "11.bias"), List.copyOf(cnn.stateDict().keySet()));
            assertEquals(List.of("0.weight", "1.weight", "1.bias", "4.weight", "5.weight", "5.bias", "9.weight", "9.bias", "11.weight", "11.bias"),
                    List.copyOf(cnn.namedParameters().keySet()));
            assertEquals(List.of(32, 1, 3, 3), shapes(cnn.stateDict()).get("0.weight"));
            assertEquals(List.of(128, 3136), shapes(cnn.stateDict()).get("9.weight"));
            assertEquals(0, cnn.stateDict().get("1.num_batches_tracked").dim(), "num_batches_tracked is a 0-d int64 tensor");
        }
    }

    @Test
    void cnnParameterCountMatchesTheTorchDefinition() {
        try (Sequential cnn = ReferenceModels.cnn(GEN)) {
            assertEquals(32 * 9 + 32 + 64 * 32 * 9 + 64 + 3136 * 128 + 128 + 128 * 10 + 10, cnn.parameterCount());
        }
    }

    /** A model with named children, like a user's nn.Module subclass with self.features = ... */
    static final class Net extends Module {
        final Sequential features;
        final BatchNorm1d bn;
        final Linear head;

        Net() {
            features = registerModule("features", new Sequential(new Linear(4, 8, true, GEN), new ReLU(), new Dropout(0.1), new Linear(8, 8, false, GEN)));
            bn = registerModule("bn", new BatchNorm1d(8));
            head = registerModule("head", new Linear(8, 3, true, GEN));
        }

        @Override
        public Tensor forward(Tensor x) {
            return head.forward(bn.forward(features.forward(x)));
        }
    }

    @Test
    void nestedModulesGetDottedNamesAndTensorsKnowTheirNames() {
        try (Net net = new Net()) {
            assertEquals(List.of("features.0.weight", "features.0.bias", "features.3.weight",
                    "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                    "head.weight", "head.bias"), List.copyOf(net.stateDict().keySet()));
            assertEquals("features.3.weight", net.features.get(3).namedParameters().get("weight").name(),
                    "a tensor is named by its path from the outermost module");
            assertNull(((Linear) net.features.get(3)).bias(), "bias=false registers no bias");
            assertEquals(List.of("", "features", "features.0", "features.1", "features.2", "features.3", "bn", "head"),
                    List.copyOf(net.namedModules().keySet()));
        }
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        try (Net net = new Net()) {
            assertTrue(net.bn.isTraining());
            net.eval();
            assertFalse(net.bn.isTraining());
            assertFalse(net.features.get(2).isTraining());
            net.train();
            assertTrue(net.features.get(2).isTraining());
        }
    }

    @Test
    void aSharedModuleAppearsOnceInParametersButUnderEachPathInTheStateDict() {
        Linear shared = new Linear(3, 3, false, GEN);
        Module twice = new Module() {
            {
                registerModule("a", new Sequential(shared, new ReLU()));
                registerModule("b", shared);
            }

            @Override
            public Tensor forward(Tensor x) {
                return x;
            }
        };
        try (twice) {
            assertEquals(List.of("a.0.weight"), List.copyOf(twice.namedParameters().keySet()));
            assertEquals(List.of("a.0.weight", "b.weight"), List.copyOf(twice.stateDict().keySet()));
            assertSame(twice.stateDict().get("a.0.weight"), twice.stateDict().get("b.weight"));
        }
    }

    @Test
    void duplicateAndDottedNamesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> new Module() {
            {
                registerModule("x", new ReLU());
                registerModule("x", new ReLU());
            }

            @Override
            public Tensor forward(Tensor input) {
                return input;
            }
        });
        assertTrue(e.getMessage().contains("'x' is already registered"), e.getMessage());
        var dotted = assertThrows(IllegalArgumentException.class, () -> new Module() {
            {
                registerBuffer("a.b", Tensor.zeros(1));
            }

            @Override
            public Tensor forward(Tensor input) {
                return input;
            }
        });
        assertTrue(dotted.getMessage().contains("'a.b' is not a valid name"), dotted.getMessage());
    }

    @Test
    void parametersRequireGradAndBuffersDoNot() {
        try (Net net = new Net()) {
            net.namedParameters().values().forEach(p -> assertTrue(p.requiresGrad(), p.name()));
            net.namedBuffers().values().forEach(b -> assertFalse(b.requiresGrad(), b.name()));
        }
    }

    @Test
    void layerShapesFollowTorch() {
        try (Conv2d grouped = new Conv2d(4, 6, 5, 1, 2, 1, 2, true, GEN);
             LayerNorm ln = new LayerNorm(3, 4);
             Embedding emb = new Embedding(11, 5, GEN)) {
            assertArrayEquals(new int[]{6, 2, 5, 5}, grouped.weight().shape());
            assertArrayEquals(new int[]{6}, grouped.bias().shape());
            assertArrayEquals(new int[]{3, 4}, ln.stateDict().get("weight").shape());
            assertArrayEquals(new int[]{11, 5}, emb.weight().shape());
        }
    }
}
