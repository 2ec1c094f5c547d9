package io.ddp4j.tensor.data.idx;

/** The two halves of MNIST-style data sets, named after their file prefixes. */
public enum MnistSplit {
    TRAIN("train"),
    TEST("t10k");

    private final String filePrefix;

    MnistSplit(String filePrefix) {
        this.filePrefix = filePrefix;
    }

    /** "train-images-idx3-ubyte" or "t10k-images-idx3-ubyte" (without a ".gz"). */
    public String imagesFile() {
        return filePrefix + "-images-idx3-ubyte";
    }

    /** "train-labels-idx1-ubyte" or "t10k-labels-idx1-ubyte" (without a ".gz"). */
    public String labelsFile() {
        return filePrefix + "-labels-idx1-ubyte";
    }
}
