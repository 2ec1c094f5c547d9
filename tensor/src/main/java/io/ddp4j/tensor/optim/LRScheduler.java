package io.ddp4j.tensor.optim;

import java.util.ArrayList;
import java.util.List;

/**
 * Sets each param group's learning rate from a closed form of the epoch counter, PyTorch's
 * {@code torch.optim.lr_scheduler.LRScheduler}: making the scheduler records each group's current
 * lr as its base lr and applies epoch 0; each {@link #step()} (after {@code optimizer.step()}, once
 * per epoch or per iteration, whichever the schedule is counted in) advances the counter and sets
 * the lrs. The closed forms equal PyTorch's chainable forms up to rounding when one scheduler
 * drives an optimizer.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private final List<Double> baseLrs = new ArrayList<>();
    private int lastEpoch = -1;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        for (ParamGroup g : optimizer.paramGroups()) baseLrs.add(g.lr());
    }

    /** Call last in a subclass constructor, as PyTorch's constructor ends with a step: applies epoch 0. */
    protected final void start() {
        if (lastEpoch != -1) throw new IllegalStateException(getClass().getSimpleName() + " was already started");
        step();
    }

    /** The learning rate of a group whose base lr is {@code baseLr}, at {@code epoch}. */
    protected abstract double lrAt(double baseLr, int epoch);

    /** Advances one epoch (or iteration) and sets every group's lr. */
    public final void step() {
        lastEpoch++;
        List<ParamGroup> groups = optimizer.paramGroups();
        for (int i = 0; i < groups.size(); i++) groups.get(i).setLr(lrAt(baseLrs.get(i), lastEpoch));
    }

    /** How many steps were taken since the start (0 right after construction). */
    public final int lastEpoch() {
        return lastEpoch;
    }

    /** The lrs the last step set, per group (PyTorch's get_last_lr()). */
    public final List<Double> lastLr() {
        return optimizer.paramGroups().stream().map(ParamGroup::lr).toList();
    }

    public final List<Double> baseLrs() {
        return List.copyOf(baseLrs);
    }

    /**
     * Resumes at {@code epoch} with the given base lrs (from a checkpoint) and sets the lrs for
     * that epoch, so training continues with the schedule it had.
     */
    public final void resume(int epoch, List<Double> savedBaseLrs) {
        if (savedBaseLrs.size() != baseLrs.size())
            throw new IllegalArgumentException(getClass().getSimpleName() + ": the checkpoint has " + savedBaseLrs.size()
                    + " base lrs for " + baseLrs.size() + " param groups");
        if (epoch < 0) throw new IllegalArgumentException(getClass().getSimpleName() + ": cannot resume at epoch " + epoch);
        baseLrs.clear();
        baseLrs.addAll(savedBaseLrs);
        lastEpoch = epoch - 1;
        step();
    }
}
