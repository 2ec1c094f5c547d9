package io.ddp4j.examples.train;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.parallel.DataParallel;
import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.parallel.DistributedDataParallel;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.TensorAllReduce;
import io.ddp4j.ddp.pg.nccl.NcclProcessGroup;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.examples.report.EpochMetrics;
import io.ddp4j.examples.report.LossAccuracyPlot;
import io.ddp4j.examples.report.MetricsWriter;
import io.ddp4j.examples.report.ProgressBar;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.data.Batch;
import io.ddp4j.tensor.data.DataLoader;
import io.ddp4j.tensor.data.DistributedSampler;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.models.ReferenceModels;
import io.ddp4j.tensor.optim.Adam;
import io.ddp4j.tensor.optim.AdamW;
import io.ddp4j.tensor.optim.Optimizer;
import io.ddp4j.tensor.optim.SGD;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The loop behind {@code ddp4j train}: one process, one rank of a DistributedDataParallel job (when
 * started by the launcher: RANK and WORLD_SIZE are set), or DataParallel replicas in this process.
 * Each step runs in its own {@link Scope}; the model, its gradients and the optimizer state live
 * for the whole run. With several ranks, each trains its DistributedSampler shard with
 * global batch / world samples, evaluates a strided shard of the test set (the sums are
 * all-reduced), and rank 0 writes reports and checkpoints.
 */
public final class Trainer {
    private final TrainConfig config;
    private final PrintStream out;

    public Trainer(TrainConfig config, PrintStream out) {
        this.config = config;
        this.out = out;
    }

    public static Module model(String name, Generator gen) {
        return switch (name) {
            case "mlp" -> ReferenceModels.mlp(gen);
            case "cnn" -> ReferenceModels.cnn(gen);
            default -> throw new IllegalArgumentException("unknown model " + name);
        };
    }

    static Optimizer optimizer(TrainConfig c, List<Tensor> params) {
        return switch (c.optimizer()) {
            case "sgd" -> new SGD(params, SGD.options().lr(c.lr()).momentum(0.9));
            case "adam" -> new Adam(params, Adam.options().lr(c.lr()));
            case "adamw" -> new AdamW(params, AdamW.options().lr(c.lr()));
            default -> throw new IllegalArgumentException("unknown optimizer " + c.optimizer());
        };
    }

    /** True in a worker the launcher started for a job of more than one process. */
    static boolean isLaunchedWorker() {
        String world = System.getenv("WORLD_SIZE");
        return System.getenv("RANK") != null && world != null && Integer.parseInt(world) > 1;
    }

    public TrainResult run() {
        var p = config.parallel();
        if (config.dtype() != DType.F32 && p.mode().equals("dp") && p.nproc() > 1) {
            // autocast is per thread and DataParallel runs each replica on a thread of its own
            throw new UnsupportedOperationException("--dtype " + config.dtype() + " with --mode dp is not supported yet; use --mode ddp or --dtype f32");
        }
        if (isLaunchedWorker()) {
            try (Distributed dist = Distributed.init(InitOptions.fromEnv().withBackend(config.parallel().backend()))) {
                return train(Optional.of(dist));
            }
        }
        return train(Optional.empty());
    }

    private StepEngine engine(Optional<Distributed> dist, List<Device> devices) {
        Module model = model(config.model(), new Generator(config.seed())).to(devices.getFirst());
        if (dist.isPresent()) {
            var ddp = DistributedDataParallel.wrap(model, dist.get().group(), DdpOptions.defaults());
            return new StepEngine.Ddp(ddp, optimizer(config, model.parameters()), config.dtype());
        }
        if (devices.size() > 1) {
            // every replica starts from the same seed, so they begin equal before DataParallel copies replica 0 anyway
            var dp = DataParallel.create(model, () -> model(config.model(), new Generator(config.seed())), devices, DdpOptions.defaults());
            return new StepEngine.Replicas(dp, dp.optimizer(params -> optimizer(config, params)));
        }
        return new StepEngine.Single(model, optimizer(config, model.parameters()), config.dtype());
    }

    /**
     * The device this process trains on. A rank of a launched CUDA job trains on its own GPU, as
     * torchrun scripts pick {@code cuda:LOCAL_RANK}: the nccl group's device (DDP4J_CUDA_DEVICE, else
     * LOCAL_RANK), or for a host backend LOCAL_RANK modulo the GPUs there are (ranks share GPUs
     * when there are fewer, which only host backends allow).
     */
    private Device runDevice(Optional<Distributed> dist) {
        Device configured = config.device();
        if (dist.isEmpty() || !configured.isCuda()) return configured;
        if (dist.get().group() instanceof NcclProcessGroup nccl) return Device.cuda(nccl.device());
        int gpus = Cudart.cudaGetDeviceCount();
        return Device.cuda(Math.max(dist.get().localRank(), 0) % gpus);
    }

    /**
     * DataParallel's devices, as PyTorch's default device_ids: one GPU per replica from the
     * configured one on, when there are that many; otherwise every replica shares the configured
     * device (the CPU, or one GPU).
     */
    static List<Device> replicaDevices(Device configured, int replicas) {
        if (configured.isCuda() && configured.index() + replicas <= Cudart.cudaGetDeviceCount()) {
            return java.util.stream.IntStream.range(0, replicas).mapToObj(i -> Device.cuda(configured.index() + i)).toList();
        }
        return java.util.Collections.nCopies(replicas, configured);
    }

    private TrainResult train(Optional<Distributed> dist) {
        int rank = dist.map(Distributed::rank).orElse(0), world = dist.map(Distributed::worldSize).orElse(1);
        boolean lead = rank == 0;
        FashionMnistData data = FashionMnistData.load(config.data(), config.model(), config.trainSamples());
        List<EpochMetrics> history = new ArrayList<>();
        Optional<ReducerStats> stats;
        var trainSampler = dist.isPresent() ? new DistributedSampler(data.train.size(), world, rank, true, config.seed(), false) : null;
        Device device = runDevice(dist);
        var p = config.parallel();
        boolean replicated = dist.isEmpty() && p.mode().equals("dp") && p.nproc() > 1;
        List<Device> devices = replicated ? replicaDevices(device, p.nproc()) : List.of(device);
        try (StepEngine engine = engine(dist, devices);
             DataLoader train = data.trainLoader(config.batchSize() / world, config.seed(), config.workers(), trainSampler, device);
             DataLoader test = data.testLoader(EVAL_BATCH, config.workers(), rank, world, device)) {
            int firstEpoch = 1;
            if (config.resume()) {
                Checkpoint.Saved saved = Checkpoint.restore(config.checkpoint().orElseThrow(), engine.model(), engine.optimizer(), config);
                firstEpoch = saved.epoch() + 1;
                if (lead) out.printf("resumed from %s after epoch %d%n", config.checkpoint().orElseThrow(), saved.epoch());
            }
            ProgressBar bar = ProgressBar.forConsole(lead ? out : new PrintStream(java.io.OutputStream.nullOutputStream()), config.epochs(), data.train.size());
            for (int epoch = firstEpoch; epoch <= config.epochs(); epoch++) {
                if (trainSampler != null) trainSampler.setEpoch(epoch);
                else train.setEpoch(epoch);
                engine.model().train();
                long start = System.nanoTime(), seen = 0;
                double lossSum = 0;
                for (Batch batch : train) {
                    try (batch; Scope step = Scope.open()) {
                        Tensor x = batch.get(0), y = batch.get(1);
                        double l = engine.step(x, y);
                        int n = x.size(0) * world; // samples the whole job trained, assuming equal shards
                        lossSum += l * n;
                        seen += n;
                        bar.update(epoch, seen, seen / seconds(start), l);
                    }
                }
                double trainSeconds = seconds(start);
                double[] eval = evaluate(engine.model(), test, dist, config.dtype());
                double trainLoss = allReduceMean(dist, lossSum / seen, engine.model());
                EpochMetrics m = new EpochMetrics(epoch, trainLoss, eval[0], eval[1], seen / trainSeconds, trainSeconds);
                history.add(m);
                bar.finishEpoch(epoch, seen, m.samplesPerSecond(), m.trainLoss(), String.format(Locale.ROOT,
                        "  test loss %.4f  test accuracy %.2f%%", m.testLoss(), 100 * m.testAccuracy()));
                if (lead && config.checkpoint().isPresent()) Checkpoint.save(config.checkpoint().get(), engine.model(), engine.optimizer(), epoch, config);
                if (lead) report(history);
            }
            stats = engine.stats();
        }
        if (history.isEmpty()) throw new IllegalStateException("nothing to train: the checkpoint is already at epoch " + config.epochs());
        List<Device> distinct = devices.stream().distinct().toList();
        String deviceDescription = String.join(",", distinct.stream().map(Device::toString).toList());
        // DataParallel reduces over NCCL when its replicas are on different GPUs, else in memory
        String backend = world > 1 ? p.backend() : replicated ? (distinct.size() > 1 ? "nccl" : "local") : "none";
        return new TrainResult(history, deviceDescription, Math.max(world, p.mode().equals("dp") ? p.nproc() : 1),
                backend, p.mode(), stats.map(ReducerStats::hiddenFraction));
    }

    /**
     * Test-set batch size. At 1000 the CNN's activations of one batch (about 350 MB on the CPU)
     * outgrew the CPU backend's pool of freed blocks (256 MiB), so every batch mapped and zeroed
     * fresh memory: most of the evaluation's time. At 250 they are reused.
     */
    static final int EVAL_BATCH = 250;

    /** {test loss, test accuracy} over the whole test set: each rank evaluates its strided shard, the sums are all-reduced. */
    static double[] evaluate(Module model, DataLoader test, Optional<Distributed> dist, DType dtype) {
        model.eval();
        double[] sums = new double[3]; // loss sum, correct, count
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (Batch batch : test) {
                try (batch; Scope s = Scope.open()) {
                    Tensor logits;
                    try (var a = StepEngine.autocast(dtype)) {
                        logits = model.forward(batch.get(0));
                    }
                    long[] labels = batch.get(1).toLongArray();
                    sums[0] += StepEngine.LOSS.forward(logits.to(DType.F32), batch.get(1)).item() * labels.length;
                    long[] predicted = logits.argmax(1, false).toLongArray();
                    for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) sums[1]++;
                    sums[2] += labels.length;
                }
            }
        }
        if (dist.isPresent()) sums = allReduce(dist.get(), sums, ReduceOp.SUM, model);
        return new double[] {sums[0] / sums[2], sums[1] / sums[2]};
    }

    private static double allReduceMean(Optional<Distributed> dist, double value, Module model) {
        return dist.isEmpty() ? value : allReduce(dist.get(), new double[] {value}, ReduceOp.AVG, model)[0];
    }

    /**
     * Values reduced over every rank, on the model's device: an nccl group reduces only device
     * memory, as PyTorch's all_reduce wants CUDA tensors with nccl.
     */
    private static double[] allReduce(Distributed dist, double[] values, ReduceOp op, Module model) {
        Device on = model.parameters().isEmpty() ? Device.CPU : model.parameters().getFirst().device();
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.fromArray(values, values.length).to(on);
            TensorAllReduce.inPlace(t, dist.group(), op);
            return t.to(Device.CPU).toDoubleArray();
        }
    }

    /** metrics.json, metrics.csv and loss_accuracy.png, rewritten after every epoch. */
    private void report(List<EpochMetrics> history) {
        MetricsWriter.write(config.outputDir(), history);
        LossAccuracyPlot.write(config.outputDir().resolve("loss_accuracy.png"), history);
    }

    private static double seconds(long startNanos) {
        return Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
    }
}
