package io.ddp4j.tensor.data.idx;

import static io.ddp4j.tensor.data.idx.IdxBytes.gzip;
import static io.ddp4j.tensor.data.idx.IdxBytes.idx;
import static io.ddp4j.tensor.data.idx.IdxBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MnistDatasetTest {

    @TempDir
    Path dir;

    /** Three 2x2 images: all black, all white, one grey ramp. */
    private static final byte[] PIXELS = {
        0, 0, 0, 0,
        (byte) 255, (byte) 255, (byte) 255, (byte) 255,
        0, 51, 102, (byte) 204};

    private void writeSplit(String prefix, byte[] labels, boolean gzipped) {
        byte[] images = idx(0x08, new int[] {3, 2, 2}, PIXELS);
        byte[] labelFile = idx(0x08, new int[] {labels.length}, labels);
        String gz = gzipped ? ".gz" : "";
        write(dir.resolve(prefix + "-images-idx3-ubyte" + gz), gzipped ? gzip(images) : images);
        write(dir.resolve(prefix + "-labels-idx1-ubyte" + gz), gzipped ? gzip(labelFile) : labelFile);
    }

    @Test
    void loadsImagesNormalisedToZeroOneAndLabelsAsLongs() {
        writeSplit("train", new byte[] {0, 9, 4}, true);
        MnistDataset d = FashionMnist.load(dir, MnistSplit.TRAIN);
        assertEquals(3, d.size());
        assertEquals(2, d.rows());
        assertEquals(2, d.cols());
        assertArrayEquals(new long[] {0, 9, 4}, d.labels());
        assertArrayEquals(new float[] {0, 0, 0, 0, 1, 1, 1, 1, 0, 0.2f, 0.4f, 0.8f}, d.images(), 1e-7f);
    }

    @Test
    void plainFilesWorkAsWellAsGzipOnes() {
        writeSplit("t10k", new byte[] {1, 2, 3}, false);
        assertArrayEquals(new long[] {1, 2, 3}, FashionMnist.load(dir, MnistSplit.TEST).labels());
    }

    @Test
    void imageAndLabelCountsMustAgree() {
        writeSplit("train", new byte[] {1, 2}, false);
        var e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir, MnistSplit.TRAIN));
        assertTrue(e.getMessage().contains("has 2 labels but") && e.getMessage().contains("has 3 images"), e.getMessage());
    }

    @Test
    void aLabelOutsideZeroToNineIsNamedWithItsIndex() {
        writeSplit("train", new byte[] {1, 10, 3}, false);
        var e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir, MnistSplit.TRAIN));
        assertTrue(e.getMessage().contains("label 1 is 10, expected 0 to 9"), e.getMessage());
        assertTrue(e.getMessage().contains("train-labels-idx1-ubyte"), e.getMessage());
    }

    @Test
    void imagesMustBeThreeDimensionalUnsignedBytes() {
        write(dir.resolve("train-images-idx3-ubyte"), idx(0x08, new int[] {12}, PIXELS));
        write(dir.resolve("train-labels-idx1-ubyte"), idx(0x08, new int[] {3}, new byte[3]));
        var e = assertThrows(IdxFormatException.class, () -> FashionMnist.load(dir, MnistSplit.TRAIN));
        assertTrue(e.getMessage().contains("3 dimensions"), e.getMessage());
    }

    @Test
    void missingFilesSayWhichAndHowToGetThem() throws Exception {
        Files.writeString(dir.resolve("train-images-idx3-ubyte.gz"), "not even read");
        var e = assertThrows(DatasetNotFoundException.class, () -> FashionMnist.load(dir, MnistSplit.TRAIN));
        assertTrue(e.getMessage().contains("missing train-labels-idx1-ubyte[.gz] in " + dir), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
        assertTrue(e.getMessage().contains("--data DIR"), e.getMessage());

        var none = assertThrows(DatasetNotFoundException.class,
                () -> FashionMnist.load(dir.resolve("nowhere"), MnistSplit.TEST));
        assertTrue(none.getMessage().contains("(no such folder)"), none.getMessage());
        assertTrue(none.getMessage().contains("t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]"), none.getMessage());
    }

    @Test
    void debiansFashionMnistHasTheKnownSizesAndPixelMeans() {
        assumeTrue(Files.isDirectory(FashionMnist.DEBIAN_DIR), "needs apt-get install dataset-fashion-mnist");
        MnistDataset train = FashionMnist.load(MnistSplit.TRAIN);
        MnistDataset test = FashionMnist.load(MnistSplit.TEST);
        assertEquals(60000, train.size());
        assertEquals(10000, test.size());
        assertEquals(28, train.rows());
        assertEquals(28, train.cols());
        // Fashion-MNIST's published training mean is 0.2860 (std 0.3530); the test set's is 0.2868
        assertEquals(0.2860, train.pixelMean(), 0.001);
        assertEquals(0.2868, test.pixelMean(), 0.001);
        // the classes are balanced: 6000 of each in train
        int[] perClass = new int[10];
        for (long l : train.labels()) perClass[(int) l]++;
        for (int c = 0; c < 10; c++) assertEquals(6000, perClass[c], FashionMnist.CLASSES.get(c));
    }
}
