package io.ddp4j.tensor.optim;

/** lr = base_lr * gamma^floor(epoch / step_size), PyTorch's {@code StepLR}. */
public final class StepLR extends LRScheduler {
    private final int stepSize;
    private final double gamma;

    public StepLR(Optimizer optimizer, int stepSize) {
        this(optimizer, stepSize, 0.1);
    }

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize < 1) throw new IllegalArgumentException("StepLR: step_size must be >= 1, got " + stepSize);
        this.stepSize = stepSize;
        this.gamma = gamma;
        start();
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return baseLr * Math.pow(gamma, epoch / stepSize);
    }
}
