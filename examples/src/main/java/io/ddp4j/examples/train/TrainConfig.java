package io.ddp4j.examples.train;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything one training run is told. {@code trainSamples} limits the training split (tests and
 * quick looks; 0 means all of it).
 */
public record TrainConfig(String model, int epochs, int batchSize, double lr, String optimizer, Device device, DType dtype,
                          Optional<Path> data, Optional<Path> checkpoint, boolean resume, long seed, int workers,
                          Path outputDir, int trainSamples, Parallelism parallel) {

    /**
     * How the run is spread: {@code nproc} processes through the launcher (mode ddp) or replicas in
     * this process (mode dp), over {@code backend}. {@code batchSize} is the global batch.
     */
    public record Parallelism(int nproc, String backend, String mode) {
        public Parallelism {
            if (nproc < 1) throw new IllegalArgumentException("--nproc must be >= 1, got " + nproc);
            if (!mode.equals("ddp") && !mode.equals("dp")) throw new IllegalArgumentException("--mode must be ddp or dp, got " + mode);
            if (!backend.equals("tcp") && !backend.equals("nccl") && !backend.equals("mpi")) {
                throw new IllegalArgumentException("--backend must be nccl, tcp or mpi, got " + backend);
            }
        }

        public static Parallelism single() {
            return new Parallelism(1, "tcp", "ddp");
        }
    }

    public TrainConfig {
        if (!model.equals("mlp") && !model.equals("cnn")) throw new IllegalArgumentException("--model must be mlp or cnn, got " + model);
        if (!optimizer.equals("sgd") && !optimizer.equals("adam") && !optimizer.equals("adamw")) {
            throw new IllegalArgumentException("--optimizer must be sgd, adam or adamw, got " + optimizer);
        }
        if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + batchSize);
        if (!(lr > 0)) throw new IllegalArgumentException("--lr must be > 0, got " + lr);
        if (workers < 0) throw new IllegalArgumentException("--workers must be >= 0, got " + workers);
        if (resume && checkpoint.isEmpty()) throw new IllegalArgumentException("--resume needs --checkpoint DIR to resume from");
        if (dtype != DType.F32 && dtype != DType.BF16) throw new IllegalArgumentException("--dtype must be f32 or bf16, got " + dtype);
        if (batchSize % parallel.nproc() != 0) {
            throw new IllegalArgumentException("--batch-size " + batchSize + " is the global batch and must split evenly over --nproc " + parallel.nproc());
        }
    }

    /** The learning rate people use for each optimizer on this task when none is given. */
    public static double defaultLr(String optimizer) {
        return optimizer.equals("sgd") ? 0.05 : 1e-3;
    }

    public static TrainConfig defaults() {
        return new TrainConfig("mlp", 1, 128, defaultLr("sgd"), "sgd", Device.CPU, DType.F32, Optional.empty(), Optional.empty(),
                false, 0, 2, Path.of("runs", "train"), 0, Parallelism.single());
    }

    public TrainConfig withEpochs(int e) {
        return new TrainConfig(model, e, batchSize, lr, optimizer, device, dtype, data, checkpoint, resume, seed, workers, outputDir, trainSamples, parallel);
    }

    public TrainConfig withTrainSamples(int n) {
        return new TrainConfig(model, epochs, batchSize, lr, optimizer, device, dtype, data, checkpoint, resume, seed, workers, outputDir, n, parallel);
    }

    public TrainConfig withCheckpoint(Path dir, boolean resumeFromIt) {
        return new TrainConfig(model, epochs, batchSize, lr, optimizer, device, dtype, data, Optional.of(dir), resumeFromIt, seed, workers, outputDir, trainSamples, parallel);
    }

    public TrainConfig withParallelism(Parallelism p) {
        return new TrainConfig(model, epochs, batchSize, lr, optimizer, device, dtype, data, checkpoint, resume, seed, workers, outputDir, trainSamples, p);
    }

    public TrainConfig withOutputDir(Path dir) {
        return new TrainConfig(model, epochs, batchSize, lr, optimizer, device, dtype, data, checkpoint, resume, seed, workers, dir, trainSamples, parallel);
    }
}
