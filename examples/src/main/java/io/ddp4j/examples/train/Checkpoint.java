package io.ddp4j.examples.train;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.io.safetensors.TensorFiles;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.optim.Optimizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A training checkpoint in two safetensors files, each written atomically:
 * {@code model.safetensors} (the model's state dict under PyTorch's keys, so
 * {@code safetensors.torch.load_file} loads it into the same PyTorch model) and
 * {@code training.safetensors} (the optimizer's state, with the epoch, the seed and the
 * configuration in its metadata). Resuming restores all of it, so the run continues bit for bit.
 */
public final class Checkpoint {
    public static final String MODEL = "model.safetensors", TRAINING = "training.safetensors";

    private Checkpoint() {}

    public record Saved(int epoch, long seed, String model, String optimizer) {}

    public static void save(Path dir, Module model, Optimizer optimizer, int epoch, TrainConfig config) {
        try {
            Files.createDirectories(dir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot create the checkpoint folder " + dir + ": " + e.getMessage(), e);
        }
        TensorFiles.save(dir.resolve(MODEL), model.stateDict(), Map.of("format", "pt"));
        TensorFiles.save(dir.resolve(TRAINING), optimizer.stateDict(), Map.of(
                "epoch", Integer.toString(epoch), "seed", Long.toString(config.seed()),
                "model", config.model(), "optimizer", config.optimizer(), "format", "ddp4j-training"));
    }

    /** Loads the model and optimizer state saved in {@code dir} and says where training stood. */
    public static Saved restore(Path dir, Module model, Optimizer optimizer, TrainConfig config) {
        Path m = dir.resolve(MODEL), t = dir.resolve(TRAINING);
        if (!Files.exists(m) || !Files.exists(t)) {
            throw new IllegalArgumentException("--resume: " + dir + " holds no checkpoint (" + MODEL + " and " + TRAINING + " are written by --checkpoint)");
        }
        Map<String, String> meta = TensorFiles.metadata(t);
        Saved saved = new Saved(Integer.parseInt(meta.get("epoch")), Long.parseLong(meta.get("seed")), meta.get("model"), meta.get("optimizer"));
        if (!saved.model().equals(config.model()) || !saved.optimizer().equals(config.optimizer()) || saved.seed() != config.seed()) {
            throw new IllegalArgumentException("--resume: the checkpoint in " + dir + " is of --model " + saved.model() + " --optimizer "
                    + saved.optimizer() + " --seed " + saved.seed() + ", not of this run's " + config.model() + " " + config.optimizer() + " " + config.seed());
        }
        Map<String, Tensor> modelState = TensorFiles.load(m);
        try {
            model.loadStateDict(modelState, true);
        } finally {
            modelState.values().forEach(Tensor::close);
        }
        Map<String, Tensor> optState = TensorFiles.load(t);
        try {
            optimizer.loadStateDict(optState);
        } finally {
            optState.values().forEach(Tensor::close);
        }
        return saved;
    }
}
