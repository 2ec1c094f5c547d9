package io.ddp4j.tensor.data.idx;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One split of an MNIST-style data set (MNIST, Fashion-MNIST) in memory: images as floats
 * in [0, 1], {@code size() x rows x cols} row-major, and class labels 0..9 as longs
 * (PyTorch's int64 targets). The arrays are shared, not copied.
 */
public record MnistDataset(MnistSplit split, float[] images, long[] labels, int rows, int cols) {

    public static final int NUM_CLASSES = 10;

    public MnistDataset {
        if ((long) labels.length * rows * cols != images.length) {
            throw new IllegalArgumentException(labels.length + " labels of " + rows + "x" + cols
                    + " images need " + (long) labels.length * rows * cols + " pixels, got " + images.length);
        }
    }

    /** Number of examples. */
    public int size() {
        return labels.length;
    }

    public int pixelsPerImage() {
        return rows * cols;
    }

    /** The mean of all pixels, e.g. about 0.286 for Fashion-MNIST's training images. */
    public double pixelMean() {
        double sum = 0;
        for (float p : images) sum += p;
        return images.length == 0 ? 0 : sum / images.length;
    }

    /**
     * Loads one split from a folder holding {@code <prefix>-images-idx3-ubyte} and
     * {@code <prefix>-labels-idx1-ubyte}, each plain or with {@code .gz}.
     *
     * @param howToGetThem appended to the message when files are missing, telling the user where to get them
     */
    public static MnistDataset load(Path dir, MnistSplit split, String howToGetThem) {
        List<String> missing = new ArrayList<>();
        Path imagesFile = find(dir, split.imagesFile(), missing);
        Path labelsFile = find(dir, split.labelsFile(), missing);
        if (!missing.isEmpty()) {
            throw new DatasetNotFoundException("missing " + String.join(" and ", missing) + " in " + dir
                    + (Files.isDirectory(dir) ? "" : " (no such folder)") + ". " + howToGetThem);
        }
        IdxArray images = IdxReader.read(imagesFile);
        IdxArray labels = IdxReader.read(labelsFile);
        return fromIdx(split, images, imagesFile.toString(), labels, labelsFile.toString());
    }

    /** Checks that the two IDX arrays form an MNIST split and converts them. */
    static MnistDataset fromIdx(MnistSplit split, IdxArray images, String imagesName,
                                IdxArray labels, String labelsName) {
        if (images.type() != IdxType.UNSIGNED_BYTE || images.rank() != 3) {
            throw new IdxFormatException(imagesName, 0, "expected images as unsigned bytes with 3 dimensions"
                    + " (count, rows, cols), found " + images);
        }
        if (labels.type() != IdxType.UNSIGNED_BYTE || labels.rank() != 1) {
            throw new IdxFormatException(labelsName, 0, "expected labels as unsigned bytes with 1 dimension, found " + labels);
        }
        int count = images.shape()[0];
        if (labels.shape()[0] != count) {
            throw new IdxFormatException(labelsName, 4, "has " + labels.shape()[0] + " labels but "
                    + imagesName + " has " + count + " images");
        }
        byte[] labelBytes = labels.data();
        long[] classes = new long[count];
        for (int i = 0; i < count; i++) {
            int label = labelBytes[i] & 0xFF;
            if (label >= NUM_CLASSES) {
                throw new IdxFormatException(labelsName, 8 + i, "label " + i + " is " + label
                        + ", expected 0 to " + (NUM_CLASSES - 1));
            }
            classes[i] = label;
        }
        byte[] pixels = images.data();
        float[] normalised = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) normalised[i] = (pixels[i] & 0xFF) / 255f;
        return new MnistDataset(split, normalised, classes, images.shape()[1], images.shape()[2]);
    }

    /** The plain file if present, else the gzip one; records the name when neither exists. */
    private static Path find(Path dir, String baseName, List<String> missing) {
        Path plain = dir.resolve(baseName);
        if (Files.isRegularFile(plain)) return plain;
        Path gz = dir.resolve(baseName + ".gz");
        if (Files.isRegularFile(gz)) return gz;
        missing.add(baseName + "[.gz]");
        return null;
    }
}
