package io.ddp4j.tensor.nn.models;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.nn.BatchNorm2d;
import io.ddp4j.tensor.nn.Conv2d;
import io.ddp4j.tensor.nn.Flatten;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.MaxPool2d;
import io.ddp4j.tensor.nn.ReLU;
import io.ddp4j.tensor.nn.Sequential;

/**
 * The two Fashion-MNIST models the project measures itself with. Each is a plain
 * {@link Sequential}, so its state-dict keys are exactly those of the PyTorch definition written
 * beside it, and a script can mirror it line by line. Parameters are drawn in module order from
 * the generator given.
 */
public final class ReferenceModels {
    /** Pixels of a 28x28 image, classes of Fashion-MNIST. */
    public static final int PIXELS = 28 * 28, CLASSES = 10;

    private ReferenceModels() {}

    /**
     * MLP 784-256-128-10; takes [N, 1, 28, 28] or [N, 784]. PyTorch:
     * <pre>{@code
     * nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
     *               nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
     * }</pre>
     * Keys: 1.weight, 1.bias, 3.weight, 3.bias, 5.weight, 5.bias (235,146 parameters).
     */
    public static Sequential mlp(Generator gen) {
        return new Sequential(
                new Flatten(),
                new Linear(PIXELS, 256, true, gen), new ReLU(),
                new Linear(256, 128, true, gen), new ReLU(),
                new Linear(128, CLASSES, true, gen));
    }

    /**
     * Two-conv CNN on [N, 1, 28, 28]. PyTorch:
     * <pre>{@code
     * nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
     *               nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
     *               nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
     * }</pre>
     * Keys: 0.*, 3.*, 7.*, 9.* (weight and bias each; 421,642 parameters).
     */
    public static Sequential cnn(Generator gen) {
        return new Sequential(
                new Conv2d(1, 32, 3, 1, 1, 1, 1, true, gen), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, 1, 1, true, gen), new ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(64 * 7 * 7, 128, true, gen), new ReLU(),
                new Linear(128, CLASSES, true, gen));
    }

    /**
     * The CNN with batch norm after each convolution (convolutions without bias, as is usual
     * before batch norm). PyTorch:
     * <pre>{@code
     * nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
     *               nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
     *               nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
     * }</pre>
     * Keys: 0.weight, 1.{weight, bias, running_mean, running_var, num_batches_tracked}, 4.weight,
     * 5.{...}, 9.*, 11.*.
     */
    public static Sequential cnnBatchNorm(Generator gen) {
        return new Sequential(
                new Conv2d(1, 32, 3, 1, 1, 1, 1, false, gen), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 3, 1, 1, 1, 1, false, gen), new BatchNorm2d(64), new ReLU(), new MaxPool2d(2),
                new Flatten(),
                new Linear(64 * 7 * 7, 128, true, gen), new ReLU(),
                new Linear(128, CLASSES, true, gen));
    }
}
