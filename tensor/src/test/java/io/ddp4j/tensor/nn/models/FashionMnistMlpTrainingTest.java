package io.ddp4j.tensor.nn.models;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.data.Batch;
import io.ddp4j.tensor.data.DataLoader;
import io.ddp4j.tensor.data.FashionMnistDataset;
import io.ddp4j.tensor.data.idx.FashionMnist;
import io.ddp4j.tensor.data.idx.MnistSplit;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The whole CPU stack at once: Debian's Fashion-MNIST through the DataLoader (shuffled, one
 * background worker), the reference MLP, cross entropy, backward, SGD with momentum. One epoch
 * over all 60000 training images must reach more than 80% accuracy on the 10000 test images.
 */
class FashionMnistMlpTrainingTest {

    /** The epoch takes about 40 s on a shared 2-core machine; the limit only catches a hang. */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void oneEpochOfTheMlpReachesEightyPercentTestAccuracy() {
        assumeTrue(Files.isDirectory(FashionMnist.DEBIAN_DIR), "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)");
        var layout = FashionMnistDataset.Layout.FLAT;
        var train = new FashionMnistDataset(FashionMnist.load(MnistSplit.TRAIN), layout, FashionMnistDataset.MEAN, FashionMnistDataset.STD);
        var test = new FashionMnistDataset(FashionMnist.load(MnistSplit.TEST), layout, FashionMnistDataset.MEAN, FashionMnistDataset.STD);

        long start = System.nanoTime();
        int steps = 0;
        double lastLoss = Double.NaN;
        try (Sequential model = ReferenceModels.mlp(new Generator(0));
             SGD sgd = new SGD(model.parameters(), SGD.options().lr(0.05).momentum(0.9));
             DataLoader loader = DataLoader.builder(train).batchSize(128).shuffle(true).seed(0).numWorkers(1).build()) {
            CrossEntropyLoss criterion = new CrossEntropyLoss();
            for (Batch batch : loader) {
                try (batch; Scope step = Scope.open()) {
                    Tensor loss = criterion.forward(model.forward(batch.get(0)), batch.get(1));
                    sgd.zeroGrad();
                    loss.backward();
                    sgd.step();
                    if (++steps % 50 == 0) lastLoss = loss.item();
                }
            }
            double trainSeconds = (System.nanoTime() - start) / 1e9;
            double accuracy = accuracy(model, test);
            System.out.printf("Fashion-MNIST MLP, 1 epoch (%d steps): train %.1f s, last loss %.3f, test accuracy %.2f%%%n",
                    steps, trainSeconds, lastLoss, 100 * accuracy);
            assertTrue(accuracy > 0.80, "test accuracy " + accuracy);
        }
    }

    private static double accuracy(Sequential model, FashionMnistDataset test) {
        model.eval();
        int correct = 0;
        try (DataLoader loader = DataLoader.builder(test).batchSize(1000).build(); GradMode.Guard g = GradMode.noGrad()) {
            for (Batch batch : loader) {
                try (batch; Scope s = Scope.open()) {
                    long[] predicted = model.forward(batch.get(0)).argmax(1, false).toLongArray();
                    long[] labels = batch.get(1).toLongArray();
                    for (int i = 0; i < labels.length; i++) if (predicted[i] == labels[i]) correct++;
                }
            }
        }
        return (double) correct / test.size();
    }
}
