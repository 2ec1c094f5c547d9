package io.ddp4j.benchmarks.parity;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.io.safetensors.TensorFiles;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ddp4j's side of the PyTorch parity check (benchmarks/python/parity_torch.py): for each model
 * (the reference MLP and CNN of {@link ReferenceModels}), loads {@code DIR/<model>_inputs.safetensors}
 * (keys {@code x}: float32 [N, 1, 28, 28], {@code y}: int64 [N]) and
 * {@code DIR/<model>_weights.safetensors} (the model's state-dict keys, as PyTorch names them),
 * runs forward, cross-entropy (mean) and backward on {@code --device}, and writes
 * {@code DIR/ddp4j_<device>_<model>.safetensors}: {@code logits}, {@code loss} (a 1-element
 * tensor) and {@code grad.<parameter name>} for every parameter. The script compares them with
 * PyTorch's {@code torch_<model>.safetensors} of the same layout.
 *
 * <pre>
 * ParityMain --dir DIR [--device cpu|cuda|cuda:0] [--models mlp,cnn]
 * ParityMain --dir DIR --generate [--batch 16] [--seed 1]   # inputs and weights made here (no PyTorch)
 * </pre>
 */
public final class ParityMain {
    public static final List<String> MODELS = List.of("mlp", "cnn");

    private ParityMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = null;
        Device device = Device.CPU;
        List<String> models = MODELS;
        boolean generate = false;
        int batch = 16;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--device" -> device = Device.parse(args[++i]);
                case "--models" -> models = List.of(args[++i].split(","));
                case "--generate" -> generate = true;
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]
                            + "; usage: ParityMain --dir DIR [--device cpu|cuda] [--models mlp,cnn] | --dir DIR --generate [--batch N] [--seed S]");
                    System.exit(2);
                }
            }
        }
        if (dir == null) {
            System.err.println("ParityMain: --dir DIR is required");
            System.exit(2);
        }
        Files.createDirectories(dir);
        for (String m : models) {
            if (generate) {
                generate(dir, m, batch, seed);
                System.out.println("{\"model\": \"" + m + "\", \"generated\": \"" + dir.resolve(m + "_inputs.safetensors") + "\"}");
            } else {
                Path out = run(dir, m, device);
                System.out.println("{\"model\": \"" + m + "\", \"device\": \"" + device + "\", \"wrote\": \"" + out + "\"}");
            }
        }
    }

    static Module model(String name, Generator gen) {
        return switch (name) {
            case "mlp" -> ReferenceModels.mlp(gen);
            case "cnn" -> ReferenceModels.cnn(gen);
            default -> throw new IllegalArgumentException("unknown model '" + name + "' (expected one of " + MODELS + ")");
        };
    }

    /** Inputs and weights drawn here, for runs without PyTorch (the CPU smoke test). */
    public static void generate(Path dir, String name, int batch, long seed) {
        Generator gen = new Generator(seed);
        try (Module m = model(name, gen); Scope s = Scope.open()) {
            TensorFiles.save(dir.resolve(name + "_weights.safetensors"), m.stateDict());
            long[] labels = new long[batch];
            for (int i = 0; i < batch; i++) labels[i] = (i * 3L + seed) % ReferenceModels.CLASSES;
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            inputs.put("x", Tensor.randn(gen, io.ddp4j.tensor.DType.F32, batch, 1, 28, 28));
            inputs.put("y", Tensor.fromArray(labels, batch));
            TensorFiles.save(dir.resolve(name + "_inputs.safetensors"), inputs);
        }
    }

    /** Forward and backward of one model on {@code device}; returns the file written. */
    public static Path run(Path dir, String name, Device device) {
        Path out = dir.resolve("ddp4j_" + (device.isCpu() ? "cpu" : "cuda") + "_" + name + ".safetensors");
        Map<String, Tensor> weights = TensorFiles.load(dir.resolve(name + "_weights.safetensors"));
        Map<String, Tensor> inputs = TensorFiles.load(dir.resolve(name + "_inputs.safetensors"));
        try (Module model = model(name, new Generator(0)); Scope s = Scope.open()) {
            Module.LoadResult r = model.loadStateDict(weights, true);
            if (!r.missingKeys().isEmpty() || !r.unexpectedKeys().isEmpty())
                throw new IllegalStateException(name + ": weights do not match the model: missing " + r.missingKeys() + ", unexpected " + r.unexpectedKeys());
            model.to(device);
            model.train();
            Tensor x = inputs.get("x").to(device), y = inputs.get("y").to(device);
            Tensor logits = model.forward(x);
            Tensor loss = new CrossEntropyLoss().forward(logits, y);
            loss.backward();
            Map<String, Tensor> result = new LinkedHashMap<>();
            result.put("logits", logits.detach());
            result.put("loss", loss.detach().reshape(1));
            for (var e : model.namedParameters().entrySet()) {
                Tensor g = e.getValue().grad();
                if (g == null) throw new IllegalStateException(name + ": parameter " + e.getKey() + " got no gradient");
                result.put("grad." + e.getKey(), g);
            }
            TensorFiles.save(out, result, Map.of("format", "pt", "producer", "ddp4j", "device", device.toString()));
        } finally {
            weights.values().forEach(Tensor::close);
            inputs.values().forEach(Tensor::close);
        }
        return out;
    }
}
