package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.MultiTensorUpdates;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stochastic gradient descent with momentum, PyTorch's {@code torch.optim.SGD}, update for update:
 * <pre>
 * g = maximize ? -grad : grad
 * g = g + weight_decay * p                               (if weight_decay != 0)
 * if momentum != 0:
 *     buf = g                                            (first step: a copy of g, no dampening)
 *     buf = momentum * buf + (1 - dampening) * g         (later steps)
 *     g = nesterov ? g + momentum * buf : buf
 * p = p - lr * g
 * </pre>
 * State per parameter: "momentum_buffer" (when momentum != 0).
 */
public final class SGD extends Optimizer {

    /** SGD's options with PyTorch's defaults (lr 1e-3, everything else off). */
    public static final class Options {
        private final Map<String, Double> values = new LinkedHashMap<>();

        public Options() {
            values.put("lr", 1e-3);
            values.put("momentum", 0.0);
            values.put("dampening", 0.0);
            values.put("weight_decay", 0.0);
            values.put("nesterov", 0.0);
            values.put("maximize", 0.0);
        }

        public Options lr(double v) { values.put("lr", v); return this; }
        public Options momentum(double v) { values.put("momentum", v); return this; }
        public Options dampening(double v) { values.put("dampening", v); return this; }
        public Options weightDecay(double v) { values.put("weight_decay", v); return this; }
        public Options nesterov(boolean v) { values.put("nesterov", v ? 1.0 : 0.0); return this; }
        public Options maximize(boolean v) { values.put("maximize", v ? 1.0 : 0.0); return this; }

        Map<String, Double> toMap() {
            return values;
        }
    }

    public static Options options() {
        return new Options();
    }

    public SGD(Iterable<Tensor> params, Options options) {
        this(single(params), options);
    }

    /** Groups with their own options; what a group leaves unset comes from {@code defaults}. */
    public SGD(List<ParamGroup> groups, Options defaults) {
        super(groups, defaults.toMap());
    }

    @Override
    protected void checkOptions(int index, ParamGroup group) {
        for (String key : new String[]{"lr", "momentum", "dampening", "weight_decay"}) checkNonNegative("SGD", index, key, group.get(key));
        if (group.flag("nesterov") && (group.get("momentum") <= 0 || group.get("dampening") != 0))
            throw new IllegalArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening (param group " + index + ")");
    }

    @Override
    protected Set<String> stateNames() {
        return Set.of("momentum_buffer");
    }

    @Override
    protected boolean countsSteps() {
        return false;
    }

    /** All the group's parameters in one launch on a backend that fuses SGD (CUDA and the CPU backend); the same arithmetic as {@link #update}. */
    @Override
    protected boolean fusedUpdate(ParamGroup group) {
        List<Tensor> params = Fused.withGrad(group);
        MultiTensorUpdates backend = Fused.backendFor(params, MultiTensorUpdates.Kind.SGD);
        if (backend == null) return false;
        double lr = group.lr(), momentum = group.get("momentum"), dampening = group.get("dampening"), weightDecay = group.get("weight_decay");
        if (momentum != 0)
            for (Tensor p : params) if (!Fused.denseOrAbsent(state(p).get("momentum_buffer"), p)) return false;
        List<MultiTensorUpdates.Entry> entries = new ArrayList<>();
        for (Tensor p : params) {
            Tensor buf = null;
            long first = 0;
            if (momentum != 0) {
                ParamState s = state(p);
                buf = s.get("momentum_buffer");
                if (buf == null) {
                    buf = s.put("momentum_buffer", Tensor.empty(p.dtype(), p.device(), p.shape()));
                    first = 1; // the kernel starts the buffer as a copy of d, as the first step does
                }
            }
            entries.add(new MultiTensorUpdates.Entry(p.data("SGD"), p.grad().data("SGD"), buf == null ? null : buf.data("SGD"), null, first, 0, 0));
        }
        long flags = (group.flag("maximize") ? MultiTensorUpdates.MAXIMIZE : 0) | (group.flag("nesterov") ? MultiTensorUpdates.NESTEROV : 0)
                | (weightDecay != 0 ? MultiTensorUpdates.WEIGHT_DECAY : 0) | (momentum != 0 ? MultiTensorUpdates.MOMENTUM : 0);
        backend.multiTensorUpdate(new MultiTensorUpdates.Update(MultiTensorUpdates.Kind.SGD, entries,
                new double[]{weightDecay, momentum, 1 - dampening, -lr}, flags));
        return true;
    }

    @Override
    protected void update(ParamGroup group, Tensor param, Tensor grad, ParamState state) {
        double lr = group.lr(), momentum = group.get("momentum"), dampening = group.get("dampening"), weightDecay = group.get("weight_decay");
        Tensor d = group.flag("maximize") ? grad.neg() : grad;
        if (weightDecay != 0) d = d.add(param.mul(weightDecay));
        if (momentum != 0) {
            Tensor buf = state.get("momentum_buffer");
            if (buf == null) {
                buf = state.put("momentum_buffer", Tensor.empty(d.dtype(), d.device(), d.shape()).copyFrom(d));
            } else {
                buf.mulInPlace(momentum).addInPlace(d, 1 - dampening);
            }
            d = group.flag("nesterov") ? d.add(buf.mul(momentum)) : buf;
        }
        param.addInPlace(d, -lr);
    }
}
