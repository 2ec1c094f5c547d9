package io.ddp4j.tensor.data.idx;

import java.nio.file.Path;
import java.util.List;

/**
 * Fashion-MNIST (Zalando's 28x28 grey clothing images, 60000 for training, 10000 for testing),
 * by default from where Debian's {@code dataset-fashion-mnist} package installs it.
 */
public final class FashionMnist {

    /** Where {@code apt-get install dataset-fashion-mnist} puts the four files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** The label names, by class index. */
    public static final List<String> CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    static final String HOW_TO_GET_IT = "Install Fashion-MNIST with 'apt-get install dataset-fashion-mnist'"
            + " (it goes to " + DEBIAN_DIR + "), or pass --data DIR with a folder holding the four files"
            + " train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte"
            + " (each may be .gz), e.g. from https://github.com/zalandoresearch/fashion-mnist";

    private FashionMnist() {}

    /** Loads a split from Debian's location. */
    public static MnistDataset load(MnistSplit split) {
        return load(DEBIAN_DIR, split);
    }

    /** Loads a split from a folder holding the IDX files. */
    public static MnistDataset load(Path dir, MnistSplit split) {
        return MnistDataset.load(dir, split, HOW_TO_GET_IT);
    }
}
