package io.ddp4j.examples.train;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.data.idx.DatasetNotFoundException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ddp4j train}: Fashion-MNIST on one device, with metrics, a plot and checkpoints. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train the reference MLP or CNN on Fashion-MNIST (Debian's dataset-fashion-mnist, or --data DIR).")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "mlp", description = "mlp (784-256-128-10) or cnn (two conv layers); default ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs to train (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "128", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", description = "Learning rate (default 0.05 for sgd with momentum 0.9, 0.001 for adam and adamw).")
    Double lr;

    @Option(names = "--optimizer", defaultValue = "sgd", description = "sgd, adam or adamw (default ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda[:N] (default ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--data", description = "Folder with the four Fashion-MNIST IDX files (default /usr/share/datasets/fashion-mnist).")
    Path data;

    @Option(names = "--checkpoint", description = "Save a checkpoint here after every epoch.")
    Path checkpoint;

    @Option(names = "--resume", description = "Continue from the checkpoint in --checkpoint DIR.")
    boolean resume;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for initialisation and data order (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--workers", defaultValue = "2", description = "Data-loading worker threads (default ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--out", defaultValue = "runs/train", description = "Where metrics.json, metrics.csv and loss_accuracy.png go (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--train-samples", defaultValue = "0", description = "Use only the first N training images (0: all).")
    int trainSamples;

    @Option(names = "--json", description = "End with one JSON line of the final results.")
    boolean json;

    @Override
    public Integer call() {
        TrainConfig config = new TrainConfig(model, epochs, batchSize, lr != null ? lr : TrainConfig.defaultLr(optimizer), optimizer,
                Device.parse(device), DType.parse(dtype), Optional.ofNullable(data), Optional.ofNullable(checkpoint), resume, seed,
                workers, out, trainSamples);
        TrainResult result;
        try {
            result = new Trainer(config, System.out).run();
        } catch (DatasetNotFoundException e) {
            System.err.println("ddp4j train: " + e.getMessage());
            return 2;
        }
        System.out.println("metrics: " + out.resolve("metrics.json") + ", " + out.resolve("metrics.csv") + ", plot: " + out.resolve("loss_accuracy.png"));
        if (json) System.out.println(result.jsonLine());
        return 0;
    }
}
