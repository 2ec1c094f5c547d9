package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Module;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Optimizer state as named tensors: a checkpoint taken mid-training resumes bit for bit. */
class OptimizerStateDictTest {

    private static void trainSteps(Module model, Optimizer opt, int from, int to) {
        for (int step = from; step < to; step++) {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.rand(new Generator(100 + step), 8, 4);
                Tensor y = model.forward(x);
                y.mul(y).mean().backward();
                opt.step();
                opt.zeroGrad();
            }
        }
    }

    /** Copies of a state dict, as a checkpoint file would hold them. */
    private static Map<String, Tensor> snapshot(Map<String, Tensor> state) {
        Map<String, Tensor> out = new HashMap<>();
        state.forEach((k, t) -> out.put(k, Tensor.empty(t.dtype(), t.device(), t.shape()).keep().copyFrom(t)));
        return out;
    }

    private static void assertResumesBitForBit(Function<List<Tensor>, Optimizer> make) {
        try (Linear original = new Linear(4, 3, true, new Generator(1)); Linear resumed = new Linear(4, 3, true, new Generator(2))) {
            Optimizer a = make.apply(original.parameters());
            trainSteps(original, a, 0, 3);
            Map<String, Tensor> modelCheckpoint = snapshot(original.stateDict());
            Map<String, Tensor> optimizerCheckpoint;
            try (Scope s = Scope.open()) {
                optimizerCheckpoint = snapshot(a.stateDict());
            }
            trainSteps(original, a, 3, 6);

            Optimizer b = make.apply(resumed.parameters());
            resumed.loadStateDict(modelCheckpoint);
            b.loadStateDict(optimizerCheckpoint);
            trainSteps(resumed, b, 3, 6);
            for (String key : original.stateDict().keySet())
                assertArrayEquals(original.stateDict().get(key).toFloatArray(), resumed.stateDict().get(key).toFloatArray(), key);
            a.close();
            b.close();
            modelCheckpoint.values().forEach(Tensor::close);
            optimizerCheckpoint.values().forEach(Tensor::close);
        }
    }

    @Test
    void sgdWithMomentumResumesBitForBit() {
        assertResumesBitForBit(params -> new SGD(params, SGD.options().lr(0.1).momentum(0.9).nesterov(true)));
    }

    @Test
    void adamWResumesBitForBit() {
        assertResumesBitForBit(params -> new AdamW(params, AdamW.options().lr(0.01)));
    }

    @Test
    void theStateDictUsesPyTorchsKeys() {
        try (Linear l = new Linear(2, 2, true, new Generator(1)); Adam adam = new Adam(l.parameters(), Adam.options().lr(0.5)); Scope s = Scope.open()) {
            l.forward(Tensor.ones(1, 2)).sum().backward();
            adam.step();
            Map<String, Tensor> state = adam.stateDict();
            assertEquals(java.util.Set.of("state.0.exp_avg", "state.0.exp_avg_sq", "state.0.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.step",
                    "param_groups.0.params", "param_groups.0.lr", "param_groups.0.beta1", "param_groups.0.beta2", "param_groups.0.eps",
                    "param_groups.0.weight_decay", "param_groups.0.maximize"), state.keySet());
            assertEquals(DType.I64, state.get("state.0.step").dtype());
            assertEquals(1, state.get("state.1.step").item());
            assertArrayEquals(new long[]{0, 1}, state.get("param_groups.0.params").toLongArray());
            assertEquals(0.5, state.get("param_groups.0.lr").item());
        }
    }

    @Test
    void loadingRestoresGroupOptionsLikeTheLearningRate() {
        try (Linear l = new Linear(2, 2, true, new Generator(1)); Scope s = Scope.open()) {
            SGD a = new SGD(l.parameters(), SGD.options().lr(0.5));
            SGD b = new SGD(l.parameters(), SGD.options().lr(0.1));
            b.loadStateDict(a.stateDict());
            assertEquals(0.5, b.paramGroups().get(0).lr());
        }
    }

    @Test
    void aCheckpointThatDoesNotFitIsRefusedWithEveryReason() {
        try (Linear l = new Linear(2, 2, true, new Generator(1)); Linear other = new Linear(3, 2, true, new Generator(1)); Scope s = Scope.open()) {
            SGD sgd = new SGD(l.parameters(), SGD.options().lr(0.1).momentum(0.9));
            Map<String, Tensor> bad = new HashMap<>(sgd.stateDict());
            bad.put("state.0.momentum_buffer", Tensor.zeros(2, 3));
            bad.put("state.1.exp_avg", Tensor.zeros(2));
            bad.put("state.7.momentum_buffer", Tensor.zeros(2));
            bad.put("param_groups.0.betas", Tensor.scalar(0.9, DType.F64));
            var e = assertThrows(IllegalArgumentException.class, () -> sgd.loadStateDict(bad));
            String m = e.getMessage();
            assertTrue(m.contains("size mismatch for \"state.0.momentum_buffer\": [2, 3] in the checkpoint"), m);
            assertTrue(m.contains("SGD keeps no state 'exp_avg'"), m);
            assertTrue(m.contains("state for parameter 7 but there are 2"), m);
            assertTrue(m.contains("SGD has no option 'betas'"), m);

            SGD bigger = new SGD(List.of(ParamGroup.of(l.parameters()), ParamGroup.of(other.parameters())), SGD.options());
            var groups = assertThrows(IllegalArgumentException.class, () -> bigger.loadStateDict(sgd.stateDict()));
            assertTrue(groups.getMessage().contains("missing \"param_groups.1.params\""), groups.getMessage());
        }
    }
}
