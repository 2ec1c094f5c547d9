package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

/**
 * What BatchNorm1d and BatchNorm2d share, PyTorch's {@code _BatchNorm}: weight 1 and bias 0 (when
 * affine), buffers running_mean 0, running_var 1 and num_batches_tracked 0 (when tracking running
 * statistics). Training normalises with the batch's statistics and moves the running ones by
 * momentum; evaluation uses the running ones.
 */
public abstract class BatchNorm extends Module {
    public static final double DEFAULT_EPS = 1e-5;
    public static final double DEFAULT_MOMENTUM = 0.1;

    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final boolean affine;
    private final boolean trackRunningStats;

    protected BatchNorm(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        if (numFeatures < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": num_features must be >= 1, got " + numFeatures);
        if (!(eps > 0)) throw new IllegalArgumentException(getClass().getSimpleName() + ": eps must be > 0, got " + eps);
        if (!(momentum >= 0 && momentum <= 1))
            throw new IllegalArgumentException(getClass().getSimpleName() + ": momentum must be in [0, 1], got " + momentum);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.affine = affine;
        this.trackRunningStats = trackRunningStats;
        if (affine) {
            registerParameter("weight", Tensor.ones(numFeatures));
            registerParameter("bias", Tensor.zeros(numFeatures));
        }
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(numFeatures));
            registerBuffer("running_var", Tensor.ones(numFeatures));
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.I64));
        }
    }

    /** Throws unless {@code input} has a rank this variant accepts. */
    protected abstract void checkInput(Tensor input);

    @Override
    public Tensor forward(Tensor input) {
        checkInput(input);
        if (input.size(1) != numFeatures)
            throw new IllegalArgumentException(describe() + ": expected " + numFeatures + " channels in dim 1, got " + input.describe());
        boolean useBatchStats = isTraining() || !trackRunningStats;
        if (isTraining() && trackRunningStats) {
            try (GradMode.Guard g = GradMode.noGrad()) {
                Tensor tracked = buffer("num_batches_tracked");
                try (Tensor one = Tensor.ones(DType.I64).keep()) {
                    tracked.addInPlace(one);
                }
            }
        }
        Tensor mean = trackRunningStats ? buffer("running_mean") : null;
        Tensor var = trackRunningStats ? buffer("running_var") : null;
        return Functional.batchNorm(input, mean, var, affine ? parameter("weight") : null, affine ? parameter("bias") : null, useBatchStats, momentum, eps);
    }

    public int numFeatures() {
        return numFeatures;
    }

    public double eps() {
        return eps;
    }

    public double momentum() {
        return momentum;
    }

    /** Whether it has a learnable weight and bias. */
    public boolean affine() {
        return affine;
    }

    /** Whether it keeps running_mean, running_var and num_batches_tracked. */
    public boolean tracksRunningStats() {
        return trackRunningStats;
    }

    @Override
    public String describe() {
        return getClass().getSimpleName() + "(" + numFeatures + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + affine
                + ", track_running_stats=" + trackRunningStats + ")";
    }
}
