package io.ddp4j.tensor.optim;

/**
 * lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, PyTorch's
 * {@code CosineAnnealingLR} (its closed form; past T_max the cosine goes on rising and falling).
 */
public final class CosineAnnealingLR extends LRScheduler {
    private final int tMax;
    private final double etaMin;

    public CosineAnnealingLR(Optimizer optimizer, int tMax) {
        this(optimizer, tMax, 0);
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        super(optimizer);
        if (tMax < 1) throw new IllegalArgumentException("CosineAnnealingLR: T_max must be >= 1, got " + tMax);
        this.tMax = tMax;
        this.etaMin = etaMin;
        start();
    }

    @Override
    protected double lrAt(double baseLr, int epoch) {
        return etaMin + (baseLr - etaMin) * (1 + Math.cos(Math.PI * epoch / tMax)) / 2;
    }
}
