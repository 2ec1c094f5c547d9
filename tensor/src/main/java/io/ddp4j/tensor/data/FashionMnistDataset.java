package io.ddp4j.tensor.data;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.data.idx.FashionMnist;
import io.ddp4j.tensor.data.idx.MnistDataset;
import io.ddp4j.tensor.data.idx.MnistSplit;

import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (or any MNIST-style split) as tensor samples: (image, label) with the image float32
 * [1, 28, 28] or flat [784], pixels in [0, 1] or standardised, and the label a 0-d int64. Batches
 * are gathered straight from the pixel array, without a tensor per sample.
 */
public final class FashionMnistDataset implements BatchedDataset {
    /** Fashion-MNIST training pixels' mean and standard deviation, the usual Normalize((0.2860,), (0.3530,)). */
    public static final double MEAN = 0.2860, STD = 0.3530;

    /** How an image comes out. */
    public enum Layout {
        /** [1, rows, cols], for convolutions. */
        IMAGE,
        /** [rows * cols], for an MLP. */
        FLAT
    }

    private final MnistDataset data;
    private final Layout layout;
    private final float mean;
    private final float std;

    /** Pixels in [0, 1]. */
    public FashionMnistDataset(MnistDataset data, Layout layout) {
        this(data, layout, 0, 1);
    }

    /** Pixels standardised: (p - mean) / std. */
    public FashionMnistDataset(MnistDataset data, Layout layout, double mean, double std) {
        if (!(std > 0)) throw new IllegalArgumentException("FashionMnistDataset: std must be > 0, got " + std);
        this.data = data;
        this.layout = layout;
        this.mean = (float) mean;
        this.std = (float) std;
    }

    /** A split from Debian's location ({@link FashionMnist#DEBIAN_DIR}), pixels in [0, 1]. */
    public static FashionMnistDataset load(MnistSplit split, Layout layout) {
        return new FashionMnistDataset(FashionMnist.load(split), layout);
    }

    public static FashionMnistDataset load(Path dir, MnistSplit split, Layout layout) {
        return new FashionMnistDataset(FashionMnist.load(dir, split), layout);
    }

    @Override
    public int size() {
        return data.size();
    }

    public MnistDataset data() {
        return data;
    }

    private int[] imageShape(int batch) {
        int pixels = data.pixelsPerImage();
        if (batch < 0) return layout == Layout.FLAT ? new int[]{pixels} : new int[]{1, data.rows(), data.cols()};
        return layout == Layout.FLAT ? new int[]{batch, pixels} : new int[]{batch, 1, data.rows(), data.cols()};
    }

    private void check(int index) {
        if (index < 0 || index >= data.size())
            throw new IndexOutOfBoundsException("FashionMnistDataset: index " + index + " is outside [0, " + data.size() + ")");
    }

    private void copyImage(int index, float[] into, int at) {
        int pixels = data.pixelsPerImage();
        float[] src = data.images();
        int from = index * pixels;
        if (mean == 0 && std == 1) System.arraycopy(src, from, into, at, pixels);
        else for (int p = 0; p < pixels; p++) into[at + p] = (src[from + p] - mean) / std;
    }

    @Override
    public List<Tensor> get(int index) {
        check(index);
        float[] image = new float[data.pixelsPerImage()];
        copyImage(index, image, 0);
        return List.of(Tensor.fromArray(image, imageShape(-1)), Tensor.scalar(data.labels()[index], DType.I64));
    }

    @Override
    public Batch getBatch(int[] indices) {
        int pixels = data.pixelsPerImage();
        float[] images = new float[indices.length * pixels];
        long[] labels = new long[indices.length];
        for (int k = 0; k < indices.length; k++) {
            check(indices[k]);
            copyImage(indices[k], images, k * pixels);
            labels[k] = data.labels()[indices[k]];
        }
        return Batch.of(Tensor.fromArray(images, imageShape(indices.length)), Tensor.fromArray(labels));
    }
}
