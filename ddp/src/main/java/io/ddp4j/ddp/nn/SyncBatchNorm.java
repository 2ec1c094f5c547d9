package io.ddp4j.ddp.nn;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.TensorAllReduce;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.nn.BatchNorm;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.nn.Sequential;

import java.util.ArrayList;
import java.util.List;

/**
 * Batch normalisation over the whole batch of every rank of a group, PyTorch's
 * {@code nn.SyncBatchNorm}: in training, each channel is normalised with the mean and variance of
 * all ranks' samples together, so data-parallel training with BatchNorm computes what one process
 * would on the whole batch (with plain BatchNorm each rank normalises its own shard, which is a
 * different model).
 *
 * <p>Forward all-reduces the per-channel sums together with the sample count, then the
 * per-channel sums of squared deviations from that mean (two passes, as one process computes the
 * variance, so results agree to rounding); both all-reduces are autograd ops whose backward
 * all-reduces the gradient of the sum, which is how the two per-channel gradient sums of the
 * batch-norm backward travel between ranks. Running statistics are updated with the global mean
 * and unbiased variance, identically on every rank. Evaluation uses the running statistics and
 * communicates nothing.
 *
 * <p>Every rank must run forward and backward through it alike (it issues collectives), so it
 * cannot be combined with DDP's join. Input [N, C] or [N, C, ...]; the group's backend must take
 * host memory (CPU tensors) for now.
 */
public final class SyncBatchNorm extends BatchNorm {
    private final ProcessGroup group;

    public SyncBatchNorm(int numFeatures, ProcessGroup group) {
        this(numFeatures, BatchNorm.DEFAULT_EPS, BatchNorm.DEFAULT_MOMENTUM, true, true, group);
    }

    public SyncBatchNorm(int numFeatures, double eps, double momentum, boolean affine, boolean trackRunningStats, ProcessGroup group) {
        super(numFeatures, eps, momentum, affine, trackRunningStats);
        if (group == null) throw new IllegalArgumentException("SyncBatchNorm needs a process group");
        this.group = group;
    }

    /** Any layout with channels in dim 1: [N, C], [N, C, L], [N, C, H, W], ... */
    @Override
    protected void checkInput(Tensor x) {
        if (x.dim() < 2) throw new IllegalArgumentException(describe() + ": expected [N, " + numFeatures() + ", ...], got " + x.describe());
    }

    /** A SyncBatchNorm with {@code bn}'s settings and a copy of its parameters, buffers and mode. */
    public static SyncBatchNorm from(BatchNorm bn, ProcessGroup group) {
        SyncBatchNorm s = new SyncBatchNorm(bn.numFeatures(), bn.eps(), bn.momentum(), bn.affine(), bn.tracksRunningStats(), group);
        s.loadStateDict(bn.stateDict());
        s.train(bn.isTraining());
        return s;
    }

    /**
     * Replaces every BatchNorm in {@code module} with a SyncBatchNorm over {@code group}, PyTorch's
     * {@code convert_sync_batchnorm}: a BatchNorm becomes a SyncBatchNorm with a copy of its state; a
     * Sequential holding one is rebuilt as a new Sequential around the same other children (so
     * close the result, not the original too); modules without BatchNorm are returned as they are.
     * A BatchNorm inside another kind of container cannot be swapped from outside: build that model
     * with SyncBatchNorm directly.
     */
    public static Module convert(Module module, ProcessGroup group) {
        if (module instanceof SyncBatchNorm) return module;
        if (module instanceof BatchNorm bn) return from(bn, group);
        if (module instanceof Sequential seq) {
            List<Module> kids = new ArrayList<>(seq.namedChildren().values());
            List<Module> out = new ArrayList<>();
            boolean changed = false;
            for (Module k : kids) {
                Module c = convert(k, group);
                changed |= c != k;
                out.add(c);
            }
            if (!changed) return seq;
            Sequential s = new Sequential(out.toArray(Module[]::new));
            s.train(seq.isTraining());
            return s;
        }
        for (Module m : module.namedModules().values())
            if (m instanceof BatchNorm && !(m instanceof SyncBatchNorm))
                throw new UnsupportedOperationException("convertSyncBatchNorm: " + module.describe() + " holds a " + m.describe()
                        + " but only Sequential containers can be rebuilt from outside; build the model with SyncBatchNorm directly");
        return module;
    }

    @Override
    public Tensor forward(Tensor x) {
        checkInput(x);
        int c = numFeatures();
        if (x.size(1) != c) throw new IllegalArgumentException(describe() + ": expected [N, " + c + ", ...], got " + x.describe());
        double eps = eps(), momentum = momentum();
        Tensor weight = affine() ? parameter("weight") : null;
        Tensor bias = affine() ? parameter("bias") : null;
        if (!isTraining() && tracksRunningStats())
            return Functional.batchNorm(x, buffer("running_mean"), buffer("running_var"), weight, bias, false, momentum, eps);
        int[] dims = new int[x.dim() - 1];
        dims[0] = 0;
        for (int d = 2; d < x.dim(); d++) dims[d - 1] = d;
        int[] statShape = new int[x.dim()];
        java.util.Arrays.fill(statShape, 1);
        statShape[1] = c;
        long local = x.numel() / c;

        Tensor sums = Functional.cat(List.of(x.sum(dims, false), Tensor.full(local, x.dtype(), x.device(), 1)), 0);
        Tensor total = allReduceSum(sums, group);
        double n;
        try (GradMode.Guard g = GradMode.noGrad()) {
            n = total.narrow(0, c, 1).item();
        }
        if (n <= 1) throw new IllegalArgumentException(describe() + ": training needs more than one value per channel across the group, got " + (long) n);
        Tensor mean = total.narrow(0, 0, c).div(n);
        Tensor centered = x.sub(mean.reshape(statShape));
        Tensor var = allReduceSum(centered.mul(centered).sum(dims, false), group).div(n);
        if (isTraining() && tracksRunningStats()) {
            try (GradMode.Guard g = GradMode.noGrad()) {
                buffer("running_mean").mulInPlace(1 - momentum).addInPlace(mean, momentum);
                buffer("running_var").mulInPlace(1 - momentum).addInPlace(var, momentum * n / (n - 1));
                try (Tensor one = Tensor.ones(DType.I64).keep()) {
                    buffer("num_batches_tracked").addInPlace(one);
                }
            }
        }
        Tensor y = centered.div(var.reshape(statShape).add(eps).sqrt());
        if (weight != null) y = y.mul(weight.reshape(statShape));
        if (bias != null) y = y.add(bias.reshape(statShape));
        return y;
    }

    /**
     * The sum of {@code t} over every rank of {@code group}, as an autograd op: its backward
     * all-reduces (sums) the incoming gradient, since every rank's loss depends on the sum. That
     * backward is this op again, so it is differentiable to any order (every rank differentiates).
     */
    public static Tensor allReduceSum(Tensor t, ProcessGroup group) {
        Tensor out = Tensor.empty(t.dtype(), t.device(), t.shape());
        try (GradMode.Guard g = GradMode.noGrad()) {
            out.copyFrom(t);
        }
        sumInPlace(out, group);
        return Autograd.record("sync_all_reduce", out, (grad, needs) -> new Tensor[]{allReduceSum(grad, group)}, t);
    }

    /** All-reduces a contiguous tensor in place, over any backend, wherever it lives. */
    private static void sumInPlace(Tensor contiguous, ProcessGroup group) {
        TensorAllReduce.inPlace(contiguous, group, ReduceOp.SUM);
    }

    public ProcessGroup group() {
        return group;
    }

    @Override
    public String describe() {
        String bn = super.describe();
        return bn.substring(0, bn.length() - 1) + ", group of " + group.size() + ")";
    }
}
