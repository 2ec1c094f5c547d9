package io.ddp4j.examples.train;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.data.DataLoader;
import io.ddp4j.tensor.data.FashionMnistDataset;
import io.ddp4j.tensor.data.Sampler;
import io.ddp4j.tensor.data.idx.FashionMnist;
import io.ddp4j.tensor.data.idx.MnistDataset;
import io.ddp4j.tensor.data.idx.MnistSplit;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Fashion-MNIST for the reference models: images normalised with the training set's mean and
 * standard deviation (as torchvision's usual Normalize((0.2860,), (0.3530,))), flat [784] for the
 * MLP and [1, 28, 28] for the CNN; labels int64. {@code trainSamples > 0} keeps only the first
 * that many training images.
 */
public final class FashionMnistData {
    public final FashionMnistDataset train;
    public final FashionMnistDataset test;

    private FashionMnistData(FashionMnistDataset train, FashionMnistDataset test) {
        this.train = train;
        this.test = test;
    }

    public static FashionMnistData load(Optional<Path> dir, String model, int trainSamples) {
        var layout = model.equals("mlp") ? FashionMnistDataset.Layout.FLAT : FashionMnistDataset.Layout.IMAGE;
        MnistDataset train = dir.map(d -> FashionMnist.load(d, MnistSplit.TRAIN)).orElseGet(() -> FashionMnist.load(MnistSplit.TRAIN));
        MnistDataset test = dir.map(d -> FashionMnist.load(d, MnistSplit.TEST)).orElseGet(() -> FashionMnist.load(MnistSplit.TEST));
        if (trainSamples > 0 && trainSamples < train.size()) {
            train = new MnistDataset(train.split(), Arrays.copyOf(train.images(), trainSamples * train.rows() * train.cols()),
                    Arrays.copyOf(train.labels(), trainSamples), train.rows(), train.cols());
        }
        double mean = FashionMnistDataset.MEAN, std = FashionMnistDataset.STD;
        return new FashionMnistData(new FashionMnistDataset(train, layout, mean, std), new FashionMnistDataset(test, layout, mean, std));
    }

    /**
     * Shuffled training batches (seeded; each epoch a new order), or in the order of {@code sampler},
     * arriving on {@code device}: for a GPU the workers stage them in pinned memory and copy them on
     * the copy stream.
     */
    public DataLoader trainLoader(int batchSize, long seed, int workers, Sampler sampler, Device device) {
        var b = DataLoader.builder(train).batchSize(batchSize).seed(seed).numWorkers(workers).dropLast(false);
        return onDevice(sampler != null ? b.sampler(sampler) : b.shuffle(true), device).build();
    }

    /** The test set in order (every {@code world}-th image from {@code rank}: each rank scores its share), on {@code device}. */
    public DataLoader testLoader(int batchSize, int workers, int rank, int world, Device device) {
        var b = DataLoader.builder(test).batchSize(batchSize).sampler(new StridedSampler(test.size(), rank, world)).numWorkers(workers);
        return onDevice(b, device).build();
    }

    private static DataLoader.Builder onDevice(DataLoader.Builder b, Device device) {
        return device.isCpu() ? b : b.device(device).pinMemory(true);
    }
}
