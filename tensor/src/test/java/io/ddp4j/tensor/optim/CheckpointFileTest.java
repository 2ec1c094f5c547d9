package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.io.safetensors.SafetensorsFile;
import io.ddp4j.tensor.io.safetensors.TensorFiles;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A training checkpoint in one safetensors file (model and optimizer state) resumes bit for bit. */
class CheckpointFileTest {
    @TempDir
    Path dir;

    private static void train(Module model, Optimizer opt, int from, int to) {
        for (int step = from; step < to; step++) {
            try (Scope s = Scope.open()) {
                Tensor x = Tensor.rand(new Generator(step), 4, 1, 28, 28);
                Tensor y = Tensor.fromArray(new long[]{step % 10, 1, 2, 3});
                Tensor loss = io.ddp4j.tensor.nn.Functional.crossEntropy(model.forward(x), y);
                opt.zeroGrad();
                loss.backward();
                opt.step();
            }
        }
    }

    private static Map<String, Tensor> prefixed(String prefix, Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    private static Map<String, Tensor> unprefixed(String prefix, Map<String, Tensor> m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v);
        });
        return out;
    }

    @Test
    void modelAndAdamWStateSavedToAFileResumeExactly() {
        Path file = dir.resolve("checkpoint.safetensors");
        try (Sequential a = ReferenceModels.mlp(new Generator(1)); Sequential b = ReferenceModels.mlp(new Generator(2));
             AdamW optA = new AdamW(a.parameters(), AdamW.options().lr(1e-3));
             AdamW optB = new AdamW(b.parameters(), AdamW.options().lr(5e-2));
             Scope s = Scope.open()) {
            train(a, optA, 0, 3);
            Map<String, Tensor> checkpoint = new LinkedHashMap<>(prefixed("model.", a.stateDict()));
            checkpoint.putAll(prefixed("optimizer.", optA.stateDict()));
            TensorFiles.save(file, checkpoint, Map.of("format", "ddp4j"));
            train(a, optA, 3, 5);

            try (SafetensorsFile f = SafetensorsFile.read(file)) {
                assertTrue(f.names().contains("model.1.weight") && f.names().contains("optimizer.state.0.exp_avg_sq")
                        && f.names().contains("optimizer.state.5.step"), f.names().toString());
            }
            Map<String, Tensor> loaded = TensorFiles.load(file);
            b.loadStateDict(unprefixed("model.", loaded));
            optB.loadStateDict(unprefixed("optimizer.", loaded));
            train(b, optB, 3, 5);
            for (String key : a.stateDict().keySet())
                assertArrayEquals(a.stateDict().get(key).toFloatArray(), b.stateDict().get(key).toFloatArray(), key);
        }
    }
}
