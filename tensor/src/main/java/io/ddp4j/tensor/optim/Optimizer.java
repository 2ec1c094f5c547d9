package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Updates parameters from their gradients, PyTorch's {@code torch.optim.Optimizer}: parameter groups
 * with their own options, per-parameter state made on the first step that needs it, parameters
 * without a gradient skipped. Parameters are numbered 0, 1, ... across the groups in order; the
 * state dict uses those numbers, as PyTorch's does, so it does not depend on tensor identity.
 */
public abstract class Optimizer implements AutoCloseable {
    private final List<ParamGroup> groups;
    private final Map<String, Double> defaults;
    private final Map<Tensor, ParamState> state = new IdentityHashMap<>();
    private boolean fused = true;

    protected Optimizer(List<ParamGroup> groups, Map<String, Double> defaults) {
        if (groups.isEmpty()) throw new IllegalArgumentException(name() + ": got an empty parameter list");
        this.defaults = Collections.unmodifiableMap(new LinkedHashMap<>(defaults));
        this.groups = List.copyOf(groups);
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int g = 0; g < this.groups.size(); g++) {
            ParamGroup group = this.groups.get(g);
            for (String key : group.options().keySet())
                if (!defaults.containsKey(key))
                    throw new IllegalArgumentException(name() + ": param group " + g + " sets unknown option '" + key + "'; known: " + defaults.keySet());
            defaults.forEach((k, v) -> {
                if (!group.has(k)) group.set(k, v);
            });
            for (Tensor p : group.params()) {
                if (!p.requiresGrad() || !p.isLeaf())
                    throw new IllegalArgumentException(name() + ": can only optimize leaf tensors that require grad, got " + p.describe());
                if (!seen.add(p))
                    throw new IllegalArgumentException(name() + ": " + p.describe() + " appears in more than one parameter group");
            }
            checkOptions(g, group);
        }
    }

    /** One group holding all of {@code params}. */
    protected static List<ParamGroup> single(Iterable<Tensor> params) {
        List<Tensor> list = new ArrayList<>();
        params.forEach(list::add);
        return List.of(new ParamGroup(list));
    }

    /** e.g. "SGD", for messages. */
    public String name() {
        return getClass().getSimpleName();
    }

    /** Refuses invalid option values (negative learning rate, nesterov without momentum, ...). */
    protected abstract void checkOptions(int index, ParamGroup group);

    /** The names of the per-parameter state tensors this optimizer keeps, e.g. "momentum_buffer". */
    protected abstract Set<String> stateNames();

    /** Whether the state holds a step count (Adam's does, SGD's does not). */
    protected abstract boolean countsSteps();

    /** Updates one parameter in place; runs with grad mode off inside a scope that frees temporaries. */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad, ParamState state);

    protected static void checkNonNegative(String optimizer, int group, String key, double value) {
        if (!(value >= 0))
            throw new IllegalArgumentException(optimizer + ": invalid " + key + " " + value + " in param group " + group + " (must be >= 0)");
    }

    public final List<ParamGroup> paramGroups() {
        return groups;
    }

    public final Map<String, Double> defaults() {
        return defaults;
    }

    /** Every parameter, numbered as the state dict numbers them. */
    public final List<Tensor> params() {
        List<Tensor> all = new ArrayList<>();
        groups.forEach(g -> all.addAll(g.params()));
        return all;
    }

    /** The state of {@code param}, made empty on first use. */
    protected final ParamState state(Tensor param) {
        return state.computeIfAbsent(param, p -> new ParamState());
    }

    /** One optimization step over every parameter that has a gradient. */
    public void step() {
        try (Scope scope = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            for (ParamGroup group : groups) {
                if (fused && fusedUpdate(group)) continue;
                for (Tensor p : group.params()) {
                    Tensor grad = p.grad();
                    if (grad == null) continue;
                    update(group, p, grad, state(p));
                }
            }
        }
    }

    /**
     * Whether {@link #step()} may update a whole param group with one fused kernel launch where the
     * device's backend offers one ({@link io.ddp4j.tensor.backend.MultiTensorUpdates}: CUDA and the
     * CPU backend, for SGD and Adam/AdamW, on dense float32 tensors); on by default. The result is
     * the same as the per-tensor path's, bit for bit.
     */
    public final Optimizer setFused(boolean enabled) {
        this.fused = enabled;
        return this;
    }

    public final boolean isFused() {
        return fused;
    }

    /**
     * Updates every parameter of {@code group} that has a gradient at once, or returns false (having
     * changed nothing) for the per-tensor {@link #update} path. Runs where {@code update} runs.
     */
    protected boolean fusedUpdate(ParamGroup group) {
        return false;
    }

    /** Drops every gradient (PyTorch's default set_to_none=True). */
    public final void zeroGrad() {
        zeroGrad(true);
    }

    /** With {@code setToNone} false, zeroes gradients in place (keeping DDP bucket views). */
    public final void zeroGrad(boolean setToNone) {
        for (Tensor p : params()) {
            if (p.grad() == null) continue;
            if (setToNone) p.setGrad(null);
            else try (GradMode.Guard g = GradMode.noGrad()) {
                p.grad().zeroInPlace();
            }
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * A snapshot as named tensors, for a checkpoint (a safetensors file): "state.{i}.{name}" for
     * each state tensor of parameter i, "state.{i}.step" (int64) where steps are counted,
     * "param_groups.{g}.params" (int64 indices) and "param_groups.{g}.{option}" (float64) for
     * each group. The tensors are copies made in the caller's scope (or owned by the caller when
     * none is open); loading them back with {@link #loadStateDict} resumes bit for bit.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<Tensor> params = params();
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                ParamState s = state.get(params.get(i));
                if (s == null || s.isEmpty()) continue;
                for (Map.Entry<String, Tensor> e : s.tensors().entrySet()) {
                    Tensor copy = Tensor.empty(e.getValue().dtype(), e.getValue().device(), e.getValue().shape());
                    out.put("state." + i + "." + e.getKey(), copy.copyFrom(e.getValue()));
                }
                if (countsSteps()) out.put("state." + i + ".step", Tensor.scalar(s.step(), DType.I64));
            }
            int first = 0;
            for (int gi = 0; gi < groups.size(); gi++) {
                ParamGroup group = groups.get(gi);
                long[] indices = new long[group.params().size()];
                for (int k = 0; k < indices.length; k++) indices[k] = first + k;
                first += indices.length;
                out.put("param_groups." + gi + ".params", Tensor.fromArray(indices));
                for (Map.Entry<String, Double> e : group.options().entrySet())
                    out.put("param_groups." + gi + "." + e.getKey(), Tensor.scalar(e.getValue(), DType.F64));
            }
        }
        return out;
    }

    /**
     * Restores a {@link #stateDict()} snapshot: group options and per-parameter state, copied (the
     * caller keeps its tensors). Every key and shape is checked before anything changes; the error
     * names what does not fit.
     */
    public final void loadStateDict(Map<String, Tensor> saved) {
        List<Tensor> params = params();
        List<String> errors = new ArrayList<>();
        Map<Integer, Map<String, Tensor>> tensors = new LinkedHashMap<>();
        Map<Integer, Long> steps = new LinkedHashMap<>();
        Map<Integer, Map<String, Double>> options = new LinkedHashMap<>();
        int first = 0;
        for (int gi = 0; gi < groups.size(); gi++) {
            Tensor indices = saved.get("param_groups." + gi + ".params");
            int size = groups.get(gi).params().size();
            long[] expected = new long[size];
            for (int k = 0; k < size; k++) expected[k] = first + k;
            first += size;
            if (indices == null) errors.add("missing \"param_groups." + gi + ".params\"");
            else if (!Arrays.equals(indices.toLongArray(), expected))
                errors.add("param group " + gi + " holds parameters " + Arrays.toString(indices.toLongArray()) + " in the checkpoint but "
                        + Arrays.toString(expected) + " here (a different model or grouping)");
            options.put(gi, new LinkedHashMap<>());
        }
        for (Map.Entry<String, Tensor> e : new java.util.TreeMap<>(saved).entrySet()) {
            String[] parts = e.getKey().split("\\.", 3);
            try {
                if (parts.length == 3 && parts[0].equals("param_groups")) {
                    int gi = Integer.parseInt(parts[1]);
                    if (gi >= groups.size()) errors.add("\"" + e.getKey() + "\": the checkpoint has more than " + groups.size() + " param groups");
                    else if (parts[2].equals("params")) continue;
                    else if (!defaults.containsKey(parts[2])) errors.add("\"" + e.getKey() + "\": " + name() + " has no option '" + parts[2] + "'");
                    else options.get(gi).put(parts[2], e.getValue().item());
                } else if (parts.length == 3 && parts[0].equals("state")) {
                    int i = Integer.parseInt(parts[1]);
                    if (i >= params.size()) {
                        errors.add("\"" + e.getKey() + "\": the checkpoint has state for parameter " + i + " but there are " + params.size());
                    } else if (parts[2].equals("step") && countsSteps()) {
                        steps.put(i, (long) e.getValue().item());
                    } else if (!stateNames().contains(parts[2])) {
                        errors.add("\"" + e.getKey() + "\": " + name() + " keeps no state '" + parts[2] + "' (it keeps " + new TreeSet<>(stateNames())
                                + (countsSteps() ? " and step" : "") + ")");
                    } else if (!Arrays.equals(e.getValue().shape(), params.get(i).shape())) {
                        errors.add("size mismatch for \"" + e.getKey() + "\": " + Arrays.toString(e.getValue().shape()) + " in the checkpoint, parameter "
                                + i + " " + params.get(i).describe() + " here");
                    } else {
                        tensors.computeIfAbsent(i, k -> new LinkedHashMap<>()).put(parts[2], e.getValue());
                    }
                } else {
                    errors.add("unexpected key \"" + e.getKey() + "\"");
                }
            } catch (NumberFormatException ex) {
                errors.add("unexpected key \"" + e.getKey() + "\"");
            }
        }
        if (!errors.isEmpty())
            throw new IllegalArgumentException("Error(s) in loading the " + name() + " state dict:\n\t" + String.join("\n\t", errors));

        state.values().forEach(ParamState::close);
        state.clear();
        options.forEach((gi, opts) -> opts.forEach((k, v) -> groups.get(gi).set(k, v)));
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                if (!tensors.containsKey(i) && !steps.containsKey(i)) continue;
                ParamState s = state(p);
                if (steps.containsKey(i)) s.setStep(steps.get(i));
                for (Map.Entry<String, Tensor> e : tensors.getOrDefault(i, Map.of()).entrySet()) {
                    Tensor copy = Tensor.empty(p.dtype(), p.device(), p.shape()).keep();
                    Tensor src = e.getValue().to(p.device());
                    try {
                        copy.copyFrom(src);
                    } finally {
                        if (src != e.getValue()) src.close();
                    }
                    s.put(e.getKey(), copy);
                }
            }
        }
    }

    /** Frees the optimizer's state tensors (not the parameters); idempotent. */
    @Override
    public void close() {
        state.values().forEach(ParamState::close);
        state.clear();
    }
}
