package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.MultiTensorUpdates;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Adam, PyTorch's {@code torch.optim.Adam} (amsgrad off), update for update:
 * <pre>
 * g = maximize ? -grad : grad
 * t = t + 1
 * g = g + weight_decay * p                    (Adam: L2 penalty folded into the gradient)
 * p = p * (1 - lr * weight_decay)             (AdamW instead: decoupled weight decay)
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g * g
 * p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * eps is added after the bias-corrected square root, where PyTorch adds it. State per parameter:
 * "exp_avg" (m), "exp_avg_sq" (v) and the step t.
 */
public class Adam extends Optimizer {
    private final boolean decoupledWeightDecay;

    /** Adam's options with PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0. */
    public static class Options {
        private final Map<String, Double> values = new LinkedHashMap<>();

        public Options() {
            this(0.0);
        }

        Options(double weightDecay) {
            values.put("lr", 1e-3);
            values.put("beta1", 0.9);
            values.put("beta2", 0.999);
            values.put("eps", 1e-8);
            values.put("weight_decay", weightDecay);
            values.put("maximize", 0.0);
        }

        public Options lr(double v) { values.put("lr", v); return this; }
        public Options betas(double beta1, double beta2) { values.put("beta1", beta1); values.put("beta2", beta2); return this; }
        public Options eps(double v) { values.put("eps", v); return this; }
        public Options weightDecay(double v) { values.put("weight_decay", v); return this; }
        public Options maximize(boolean v) { values.put("maximize", v ? 1.0 : 0.0); return this; }

        Map<String, Double> toMap() {
            return values;
        }
    }

    public static Options options() {
        return new Options();
    }

    public Adam(Iterable<Tensor> params, Options options) {
        this(single(params), options, false);
    }

    public Adam(List<ParamGroup> groups, Options defaults) {
        this(groups, defaults, false);
    }

    protected Adam(List<ParamGroup> groups, Options defaults, boolean decoupledWeightDecay) {
        super(groups, defaults.toMap());
        this.decoupledWeightDecay = decoupledWeightDecay;
    }

    @Override
    protected void checkOptions(int index, ParamGroup group) {
        checkNonNegative(name(), index, "lr", group.lr());
        checkNonNegative(name(), index, "eps", group.get("eps"));
        checkNonNegative(name(), index, "weight_decay", group.get("weight_decay"));
        for (String beta : new String[]{"beta1", "beta2"}) {
            double b = group.get(beta);
            if (!(b >= 0 && b < 1))
                throw new IllegalArgumentException(name() + ": invalid " + beta + " " + b + " in param group " + index + " (must be in [0, 1))");
        }
    }

    @Override
    protected Set<String> stateNames() {
        return Set.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected boolean countsSteps() {
        return true;
    }

    /**
     * All the group's parameters in one launch on a backend that fuses Adam (CUDA, and the CPU backend: one
     * pass per parameter); the same arithmetic as {@link #update}, bit for bit. Each parameter's own step
     * count sets its bias corrections, so a parameter skipped on some steps stays in step with the per-tensor path.
     */
    @Override
    protected boolean fusedUpdate(ParamGroup group) {
        List<Tensor> params = Fused.withGrad(group);
        MultiTensorUpdates backend = Fused.backendFor(params, MultiTensorUpdates.Kind.ADAM);
        if (backend == null) return false;
        for (Tensor p : params)
            if (!Fused.denseOrAbsent(state(p).get("exp_avg"), p) || !Fused.denseOrAbsent(state(p).get("exp_avg_sq"), p)) return false;
        double lr = group.lr(), beta1 = group.get("beta1"), beta2 = group.get("beta2"), eps = group.get("eps"), weightDecay = group.get("weight_decay");
        List<MultiTensorUpdates.Entry> entries = new ArrayList<>();
        for (Tensor p : params) {
            ParamState s = state(p);
            if (s.get("exp_avg") == null) s.put("exp_avg", Tensor.zeros(p.dtype(), p.device(), p.shape()));
            if (s.get("exp_avg_sq") == null) s.put("exp_avg_sq", Tensor.zeros(p.dtype(), p.device(), p.shape()));
            long step = s.step() + 1; // counted below, once the update is enqueued: a refused update changes no state
            double biasCorrection1 = 1 - Math.pow(beta1, step);
            double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
            entries.add(new MultiTensorUpdates.Entry(p.data(name()), p.grad().data(name()), s.get("exp_avg").data(name()),
                    s.get("exp_avg_sq").data(name()), 0, -lr / biasCorrection1, biasCorrection2Sqrt));
        }
        long flags = (group.flag("maximize") ? MultiTensorUpdates.MAXIMIZE : 0) | (weightDecay != 0 ? MultiTensorUpdates.WEIGHT_DECAY : 0)
                | (decoupledWeightDecay ? MultiTensorUpdates.DECOUPLED : 0);
        backend.multiTensorUpdate(new MultiTensorUpdates.Update(MultiTensorUpdates.Kind.ADAM, entries,
                new double[]{weightDecay, 1 - lr * weightDecay, beta1, 1 - beta1, beta2, 1 - beta2, eps}, flags));
        for (Tensor p : params) state(p).incrementStep();
        return true;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        double lr = group.lr(), beta1 = group.get("beta1"), beta2 = group.get("beta2"), eps = group.get("eps"), weightDecay = group.get("weight_decay");
        Tensor g = group.flag("maximize") ? grad.neg() : grad;
        Tensor expAvg = state.get("exp_avg");
        if (expAvg == null) {
            expAvg = state.put("exp_avg", Tensor.zeros(param.dtype(), param.device(), param.shape()));
            state.put("exp_avg_sq", Tensor.zeros(param.dtype(), param.device(), param.shape()));
        }
        Tensor expAvgSq = state.get("exp_avg_sq");
        long step = state.incrementStep();
        if (weightDecay != 0) {
            if (decoupledWeightDecay) param.mulInPlace(1 - lr * weightDecay);
            else g = g.add(param.mul(weightDecay));
        }
        expAvg.mulInPlace(beta1).addInPlace(g, 1 - beta1);
        expAvgSq.mulInPlace(beta2).addInPlace(g.mul(g), 1 - beta2);
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        Tensor denom = expAvgSq.sqrt().div(biasCorrection2Sqrt).add(eps);
        param.addInPlace(expAvg.div(denom), -lr / biasCorrection1);
    }
}
