package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stateDict / loadStateDict: copies by key, refuses mismatches with PyTorch's messages, all or nothing. */
class StateDictTest {

    @Test
    void loadingAnotherModelsStateMakesBothComputeTheSame() {
        try (Sequential a = ReferenceModels.cnnBatchNorm(new Generator(1));
             Sequential b = ReferenceModels.cnnBatchNorm(new Generator(2));
             Scope s = Scope.open()) {
            Tensor x = Tensor.rand(new Generator(3), 2, 1, 28, 28);
            a.forward(x); // moves a's running statistics and num_batches_tracked away from the defaults
            a.eval();
            b.eval();
            assertFalse(java.util.Arrays.equals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray()));

            Module.LoadResult r = b.loadStateDict(a.stateDict());
            assertEquals(List.of(), r.missingKeys());
            assertEquals(List.of(), r.unexpectedKeys());
            assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
            assertEquals(1, b.stateDict().get("1.num_batches_tracked").item());
        }
    }

    @Test
    void loadingCopiesValuesSoTheSourceCanChangeOrCloseAfterwards() {
        try (Linear target = new Linear(2, 2, true, new Generator(1))) {
            Tensor w = Tensor.fromArray(new float[]{1, 2, 3, 4}, 2, 2);
            Tensor bias = Tensor.fromArray(new double[]{5, 6}); // float64 is converted to the parameter's float32
            target.loadStateDict(Map.of("weight", w, "bias", bias));
            w.close();
            bias.close();
            assertArrayEquals(new float[]{1, 2, 3, 4}, target.weight().toFloatArray());
            assertArrayEquals(new float[]{5, 6}, target.bias().toFloatArray());
            assertEquals(DType.F32, target.bias().dtype());
            assertTrue(target.weight().requiresGrad(), "a loaded parameter still learns");
        }
    }

    @Test
    void strictLoadingNamesMissingAndUnexpectedKeysAndChangesNothing() {
        try (Sequential model = ReferenceModels.mlp(new Generator(1)); Sequential other = ReferenceModels.mlp(new Generator(2))) {
            float[] before = model.stateDict().get("1.weight").toFloatArray();
            Map<String, Tensor> state = new LinkedHashMap<>(other.stateDict());
            state.remove("5.bias");
            state.put("6.weight", other.stateDict().get("5.weight"));
            var e = assertThrows(IllegalArgumentException.class, () -> model.loadStateDict(state));
            assertTrue(e.getMessage().startsWith("Error(s) in loading state_dict for Sequential"), e.getMessage());
            assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"5.bias\"."), e.getMessage());
            assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"6.weight\"."), e.getMessage());
            assertArrayEquals(before, model.stateDict().get("1.weight").toFloatArray(), "a refused load copies nothing");
        }
    }

    @Test
    void nonStrictLoadingReportsWhatDidNotMatchAndLoadsTheRest() {
        try (Sequential model = ReferenceModels.mlp(new Generator(1)); Sequential other = ReferenceModels.mlp(new Generator(2))) {
            Map<String, Tensor> state = new LinkedHashMap<>(other.stateDict());
            state.remove("5.bias");
            try (Tensor extra = Tensor.zeros(3)) {
                state.put("extra", extra);
                Module.LoadResult r = model.loadStateDict(state, false);
                assertEquals(List.of("5.bias"), r.missingKeys());
                assertEquals(List.of("extra"), r.unexpectedKeys());
            }
            assertArrayEquals(other.stateDict().get("1.weight").toFloatArray(), model.stateDict().get("1.weight").toFloatArray());
        }
    }

    @Test
    void aShapeMismatchIsRefusedEvenWhenNotStrict() {
        try (Linear small = new Linear(3, 2, true, new Generator(1)); Linear big = new Linear(4, 2, true, new Generator(1))) {
            var e = assertThrows(IllegalArgumentException.class, () -> small.loadStateDict(big.stateDict(), false));
            assertTrue(e.getMessage().contains("size mismatch for weight: copying a param with shape [2, 4] from checkpoint, "
                    + "the shape in current model is [2, 3]."), e.getMessage());
        }
    }

    @Test
    void movingToAnUnusableDeviceFailsClearlyAndLeavesTheModuleAsItWas() {
        try (Sequential model = ReferenceModels.mlp(new Generator(1))) {
            Tensor before = model.stateDict().get("1.weight");
            var e = assertThrows(IllegalStateException.class, () -> model.to(Device.cuda(0)));
            assertTrue(e.getMessage().startsWith("cannot use cuda:0: "), e.getMessage()); // names why (no GPU here)
            assertSame(before, model.stateDict().get("1.weight"));
            assertFalse(before.isClosed());
            assertSame(model, model.to(Device.CPU), "moving to the device it is on is a no-op");
            assertSame(before, model.stateDict().get("1.weight"));
        }
    }

    @Test
    void zeroGradDropsGradientsByDefaultOrZeroesThemInPlace() {
        try (Linear l = new Linear(3, 2, true, new Generator(1)); Scope s = Scope.open()) {
            l.forward(Tensor.ones(4, 3)).sum().backward();
            Tensor g = l.weight().grad();
            assertNotNull(g);
            l.zeroGrad(false);
            assertSame(g, l.weight().grad(), "set_to_none=False keeps the same gradient tensor");
            assertArrayEquals(new float[6], g.toFloatArray());
            l.zeroGrad();
            assertNull(l.weight().grad());
            assertNull(l.bias().grad());
        }
    }

    @Test
    void closingAModuleFreesItsTensors() {
        Sequential model = ReferenceModels.cnnBatchNorm(new Generator(1));
        List<Tensor> all = List.copyOf(model.stateDict().values());
        model.close();
        all.forEach(t -> assertTrue(t.isClosed(), t.name()));
        model.close(); // idempotent
    }
}
