package io.ddp4j.examples.train;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.ddp.launch.LaunchOptions;
import io.ddp4j.ddp.launch.Launcher;
import io.ddp4j.examples.Ddp4jCli;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.data.idx.DatasetNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ddp4j train}: Fashion-MNIST, data-parallel by default. In ddp mode with several processes
 * this command relaunches itself through the launcher (the workers see RANK and WORLD_SIZE), and
 * prints the JSON line rank 0 left in the output folder; in dp mode one process steps replicas.
 */
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

    @Option(names = "--nproc", description = "Processes (ddp) or replicas (dp); default one per GPU, or 2 without a GPU.")
    Integer nproc;

    @Option(names = "--backend", description = "nccl, tcp or mpi (default nccl with GPUs, else tcp).")
    String backend;

    @Option(names = "--mode", defaultValue = "ddp", description = "ddp (processes through the launcher) or dp (replicas in this process); default ${DEFAULT-VALUE}.")
    String mode;

    @Spec
    CommandSpec spec;

    static final String RESULT_FILE = "result.json";

    static int gpuCount() {
        return CudaAvailability.isAvailable() ? Cudart.cudaGetDeviceCount() : 0;
    }

    @Override
    public Integer call() throws IOException {
        int gpus = gpuCount();
        var parallel = new TrainConfig.Parallelism(nproc != null ? nproc : gpus > 0 ? gpus : 2,
                backend != null ? backend : gpus > 0 ? "nccl" : "tcp", mode);
        TrainConfig config = new TrainConfig(model, epochs, batchSize, lr != null ? lr : TrainConfig.defaultLr(optimizer), optimizer,
                Device.parse(device), DType.parse(dtype), Optional.ofNullable(data), Optional.ofNullable(checkpoint), resume, seed,
                workers, out, trainSamples, parallel);
        if (parallel.mode().equals("ddp") && parallel.nproc() > 1 && !Trainer.isLaunchedWorker()) return launch(parallel);
        TrainResult result;
        try {
            result = new Trainer(config, System.out).run();
        } catch (DatasetNotFoundException e) {
            System.err.println("ddp4j train: " + e.getMessage());
            return 2;
        }
        if (Trainer.isLaunchedWorker()) {
            // a worker's output is prefixed by the launcher; rank 0 leaves the result for the parent to print
            if ("0".equals(System.getenv("RANK"))) Files.writeString(out.resolve(RESULT_FILE), result.jsonLine() + "\n");
            return 0;
        }
        printReportPaths();
        if (json) System.out.println(result.jsonLine());
        return 0;
    }

    private void printReportPaths() {
        System.out.println("metrics: " + out.resolve("metrics.json") + ", " + out.resolve("metrics.csv") + ", plot: " + out.resolve("loss_accuracy.png"));
    }

    /** Starts nproc copies of this command as workers of one job on this node. */
    private int launch(TrainConfig.Parallelism parallel) throws IOException {
        if (data == null && !Files.isDirectory(io.ddp4j.tensor.data.idx.FashionMnist.DEBIAN_DIR)) {
            System.err.println("ddp4j train: Fashion-MNIST not found in " + io.ddp4j.tensor.data.idx.FashionMnist.DEBIAN_DIR
                    + ": apt-get install dataset-fashion-mnist, or pass --data DIR");
            return 2;
        }
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve(RESULT_FILE));
        // the original command line, "train" included: each worker runs this command again
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        var options = LaunchOptions.local(parallel.nproc(), Ddp4jCli.class.getName(), args)
                .withEnv(Map.of("DDP4J_TRAIN_PARENT", Long.toString(ProcessHandle.current().pid())));
        System.out.printf("ddp4j train: %d processes over %s%n", parallel.nproc(), parallel.backend());
        int code = new Launcher().run(options);
        if (code != 0) return code;
        printReportPaths();
        if (json) System.out.print(Files.readString(out.resolve(RESULT_FILE)));
        return 0;
    }
}
