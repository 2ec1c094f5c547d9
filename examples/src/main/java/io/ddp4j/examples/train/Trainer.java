package io.ddp4j.examples.train;

import io.ddp4j.examples.report.EpochMetrics;
import io.ddp4j.examples.report.LossAccuracyPlot;
import io.ddp4j.examples.report.MetricsWriter;
import io.ddp4j.examples.report.ProgressBar;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.amp.GradScaler;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.data.Batch;
import io.ddp4j.tensor.data.DataLoader;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
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

/**
 * One process training a reference model on Fashion-MNIST: the loop behind {@code ddp4j train}.
 * Each step runs in its own {@link Scope}, so its temporaries are freed when it ends; the model,
 * its gradients and the optimizer state live for the whole run.
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

    static Optimizer optimizer(TrainConfig c, Module model) {
        return switch (c.optimizer()) {
            case "sgd" -> new SGD(model.parameters(), SGD.options().lr(c.lr()).momentum(0.9));
            case "adam" -> new Adam(model.parameters(), Adam.options().lr(c.lr()));
            case "adamw" -> new AdamW(model.parameters(), AdamW.options().lr(c.lr()));
            default -> throw new IllegalArgumentException("unknown optimizer " + c.optimizer());
        };
    }

    public TrainResult run() {
        // bf16: autocast around forward and loss, fp32 parameters and optimizer; f16 also scales the loss
        GradScaler scaler = new GradScaler(GradScaler.options().enabled(config.dtype() == DType.F16));
        List<EpochMetrics> history = new ArrayList<>();
        FashionMnistData data = FashionMnistData.load(config.data(), config.model(), config.trainSamples());
        try (Module model = model(config.model(), new Generator(config.seed())).to(config.device());
             Optimizer optimizer = optimizer(config, model);
             DataLoader train = data.trainLoader(config.batchSize(), config.seed(), config.workers(), null);
             DataLoader test = data.testLoader(1000, config.workers())) {
            int firstEpoch = 1;
            if (config.resume()) {
                Checkpoint.Saved saved = Checkpoint.restore(config.checkpoint().orElseThrow(), model, optimizer, config);
                firstEpoch = saved.epoch() + 1;
                out.printf("resumed from %s after epoch %d%n", config.checkpoint().orElseThrow(), saved.epoch());
            }
            CrossEntropyLoss lossFn = new CrossEntropyLoss();
            ProgressBar bar = ProgressBar.forConsole(out, config.epochs(), data.train.size());
            for (int epoch = firstEpoch; epoch <= config.epochs(); epoch++) {
                train.setEpoch(epoch);
                model.train();
                long start = System.nanoTime(), seen = 0;
                double lossSum = 0;
                for (Batch batch : train) {
                    try (batch; Scope step = Scope.open()) {
                        Tensor x = batch.get(0), y = batch.get(1);
                        Tensor loss;
                        try (Autocast ac = autocast(config.dtype())) {
                            loss = lossFn.forward(model.forward(x), y);
                        }
                        optimizer.zeroGrad();
                        scaler.scale(loss).backward();
                        scaler.step(optimizer);
                        scaler.update();
                        int n = x.size(0);
                        double l = loss.item();
                        lossSum += l * n;
                        seen += n;
                        bar.update(epoch, seen, seen / seconds(start), l);
                    }
                }
                double trainSeconds = seconds(start);
                Evaluation eval = evaluate(model, test, lossFn, config.dtype());
                EpochMetrics m = new EpochMetrics(epoch, lossSum / seen, eval.loss(), eval.accuracy(), seen / trainSeconds, trainSeconds);
                history.add(m);
                bar.finishEpoch(epoch, seen, m.samplesPerSecond(), m.trainLoss(), String.format(Locale.ROOT,
                        "  test loss %.4f  test accuracy %.2f%%", m.testLoss(), 100 * m.testAccuracy()));
                if (config.checkpoint().isPresent()) Checkpoint.save(config.checkpoint().get(), model, optimizer, epoch, config);
                report(history);
            }
        }
        if (history.isEmpty()) throw new IllegalStateException("nothing to train: the checkpoint is already at epoch " + config.epochs());
        return new TrainResult(history, config.device().toString(), 1);
    }

    record Evaluation(double loss, double accuracy) {}

    /** Autocast to {@code dtype} for bf16/f16 training; a scope with autocast off for f32. */
    static Autocast autocast(DType dtype) {
        return dtype == DType.F32 ? Autocast.disable() : Autocast.enable(dtype);
    }

    static Evaluation evaluate(Module model, DataLoader test, CrossEntropyLoss lossFn) {
        return evaluate(model, test, lossFn, DType.F32);
    }

    static Evaluation evaluate(Module model, DataLoader test, CrossEntropyLoss lossFn, DType dtype) {
        model.eval();
        double lossSum = 0;
        long correct = 0, n = 0;
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (Batch batch : test) {
                try (batch; Scope s = Scope.open()) {
                    Tensor logits;
                    double loss;
                    try (Autocast ac = autocast(dtype)) {
                        logits = model.forward(batch.get(0));
                        loss = lossFn.forward(logits, batch.get(1)).item();
                    }
                    long[] labels = batch.get(1).toLongArray();
                    lossSum += loss * labels.length;
                    long[] predicted = logits.argmax(1, false).toLongArray();
                    for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) correct++;
                    n += labels.length;
                }
            }
        }
        return new Evaluation(lossSum / n, (double) correct / n);
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
