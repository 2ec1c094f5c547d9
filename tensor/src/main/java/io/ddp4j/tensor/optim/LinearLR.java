package io.ddp4j.tensor.optim;

/**
 * lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters), PyTorch's
 * {@code LinearLR}; with end 1 it is a linear warmup from start * base_lr to base_lr.
 * Defaults as in PyTorch: start 1/3, end 1, 5 iterations.
 */
public final class LinearLR extends LRScheduler {
    private final double startFactor;
    private final double endFactor;
    private final int totalIters;

    public LinearLR(Optimizer optimizer) {
        this(optimizer, 1.0 / 3, 1.0, 5);
    }

    public LinearLR(Optimizer optimizer, double startFactor, double endFactor, int totalIters) {
        super(optimizer);
        if (!(startFactor > 0 && startFactor <= 1))
            throw new IllegalArgumentException("LinearLR: start_factor must be in (0, 1], got " + startFactor);
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new IllegalArgumentException("LinearLR: end_factor must be in [0, 1], got " + endFactor);
        if (totalIters < 1) throw new IllegalArgumentException("LinearLR: total_iters must be >= 1, got " + totalIters);
        this.startFactor = startFactor;
        this.endFactor = endFactor;
        this.totalIters = totalIters;
        start();
    }

    /** Warmup from {@code startFactor} * lr to lr over {@code iters} steps. */
    public static LinearLR warmup(Optimizer optimizer, double startFactor, int iters) {
        return new LinearLR(optimizer, startFactor, 1.0, iters);
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return baseLr * (startFactor + (endFactor - startFactor) * Math.min(epoch, totalIters) / totalIters);
    }
}
