package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Device;
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

/**
 * A layer or a model: a tree of modules, each holding parameters (tensors that learn) and buffers
 * (tensors that are state but do not learn, like BatchNorm's running statistics), like PyTorch's
 * {@code torch.nn.Module}. Names follow PyTorch's exactly: a child's entries are prefixed with its
 * name and a dot, so a checkpoint's keys ("features.3.bias", "bn.running_mean") match the ones a
 * mirrored PyTorch model has.
 *
 * <p>Parameters and buffers live outside every {@link io.ddp4j.tensor.Scope}: the module owns them
 * and {@link #close()} frees them. Subclasses read them by name ({@link #parameter}, {@link #buffer})
 * at each forward, so {@link #to(Device)} can swap in the moved tensors.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** The module's computation on one input. */
    public abstract Tensor forward(Tensor input);

    /** A short name for messages, e.g. "Linear(in=784, out=256)". */
    public String describe() {
        return getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- registration (for subclasses)

    /** Makes {@code value} a learnable parameter called {@code name}: kept out of scopes, requiring grad. */
    protected final Tensor registerParameter(String name, Tensor value) {
        checkNewName(name);
        if (!value.dtype().isFloatingPoint())
            throw new IllegalArgumentException(describe() + ": parameter '" + name + "' must be floating point, got " + value.describe());
        value.keep().setRequiresGrad(true).setName(name);
        parameters.put(name, value);
        return value;
    }

    /** Makes {@code value} a buffer called {@code name}: saved in the state dict, never trained. */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkNewName(name);
        value.keep().setName(name);
        buffers.put(name, value);
        return value;
    }

    /** Adds a child module; its entries appear under {@code name + "."}. Returns the child. */
    protected final <M extends Module> M registerModule(String name, M child) {
        checkNewName(name);
        if (child == this) throw new IllegalArgumentException(describe() + ": a module cannot be its own child");
        children.put(name, child);
        nameTensors();
        return child;
    }

    private void checkNewName(String name) {
        if (name == null || name.isEmpty() || name.contains("."))
            throw new IllegalArgumentException(describe() + ": '" + name + "' is not a valid name (non-empty, no dots)");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new IllegalArgumentException(describe() + ": '" + name + "' is already registered");
    }

    /** Gives every tensor below this module its dotted name, for messages (DDP names unused parameters). */
    private void nameTensors() {
        namedParameters().forEach((n, t) -> t.setName(n));
        namedBuffers().forEach((n, t) -> t.setName(n));
    }

    /** This module's own parameter (not a child's). */
    protected final Tensor parameter(String name) {
        Tensor t = parameters.get(name);
        if (t == null) throw new IllegalArgumentException(describe() + " has no parameter '" + name + "'");
        return t;
    }

    protected final boolean hasParameter(String name) {
        return parameters.containsKey(name);
    }

    /** This module's own buffer (not a child's). */
    protected final Tensor buffer(String name) {
        Tensor t = buffers.get(name);
        if (t == null) throw new IllegalArgumentException(describe() + " has no buffer '" + name + "'");
        return t;
    }

    // ---------------------------------------------------------------- the tree

    /** Direct children in registration order. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module and every descendant, depth first, keyed by dotted path ("" for this one). */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out, Set<Module> seen) {
        if (!seen.add(this)) return;
        out.put(prefix, this);
        children.forEach((n, c) -> c.collectModules(prefix.isEmpty() ? n : prefix + "." + n, out, seen));
    }

    /**
     * Every parameter below this module in registration order (own ones first, then each child's),
     * with dotted names. A tensor shared by two modules (tied weights) appears once, under its first
     * name, as in PyTorch.
     */
    public final Map<String, Tensor> namedParameters() {
        return collect(true, true);
    }

    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Every buffer below this module, dotted names, registration order. */
    public final Map<String, Tensor> namedBuffers() {
        return collect(false, true);
    }

    /** Number of learnable scalars. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor p : parameters()) n += p.numel();
        return n;
    }

    private Map<String, Tensor> collect(boolean params, boolean dedupe) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            String prefix = m.getKey().isEmpty() ? "" : m.getKey() + ".";
            Map<String, Tensor> own = params ? m.getValue().parameters : m.getValue().buffers;
            for (Map.Entry<String, Tensor> e : own.entrySet())
                if (!dedupe || seen.add(e.getValue())) out.put(prefix + e.getKey(), e.getValue());
        }
        return out;
    }

    // ---------------------------------------------------------------- modes

    /** Training mode (the default): dropout drops, batch norm uses batch statistics. Applies to all descendants. */
    public Module train(boolean on) {
        for (Module m : namedModules().values()) m.training = on;
        return this;
    }

    public final Module train() {
        return train(true);
    }

    /** Evaluation mode: dropout is off, batch norm uses its running statistics. */
    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    // ---------------------------------------------------------------- gradients

    /**
     * Drops every parameter's gradient (PyTorch's default, {@code zero_grad(set_to_none=True)}): the
     * next backward writes fresh gradients, and parameters that get none keep {@code grad() == null},
     * which optimizers skip.
     */
    public final void zeroGrad() {
        zeroGrad(true);
    }

    /**
     * With {@code setToNone} false, fills existing gradients with zeros in place instead, so a
     * gradient that is a view into someone's buffer (a DDP bucket) stays that view.
     */
    public final void zeroGrad(boolean setToNone) {
        for (Tensor p : parameters()) {
            if (p.grad() == null) continue;
            if (setToNone) p.setGrad(null);
            else try (GradMode.Guard g = GradMode.noGrad()) {
                p.grad().zeroInPlace();
            }
        }
    }

    // ---------------------------------------------------------------- devices

    /**
     * Moves every parameter and buffer to {@code device} (gradients are dropped). All or nothing: if
     * one copy fails (no backend for the device), the module is unchanged and the error says why.
     */
    public Module to(Device device) {
        List<Module> modules = new ArrayList<>(namedModules().values());
        List<Map<String, Tensor>> movedParams = new ArrayList<>();
        List<Map<String, Tensor>> movedBuffers = new ArrayList<>();
        List<Tensor> made = new ArrayList<>();
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (Module m : modules) {
                movedParams.add(moveAll(m.parameters, device, made));
                movedBuffers.add(moveAll(m.buffers, device, made));
            }
        } catch (RuntimeException e) {
            made.forEach(Tensor::close);
            throw e;
        }
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            swap(m.parameters, movedParams.get(i), true);
            swap(m.buffers, movedBuffers.get(i), false);
        }
        nameTensors();
        return this;
    }

    private static Map<String, Tensor> moveAll(Map<String, Tensor> tensors, Device device, List<Tensor> made) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t.device().equals(device)) continue;
            Tensor moved = t.to(device).keep();
            made.add(moved);
            out.put(e.getKey(), moved);
        }
        return out;
    }

    private static void swap(Map<String, Tensor> own, Map<String, Tensor> moved, boolean learnable) {
        moved.forEach((name, t) -> {
            Tensor old = own.put(name, learnable ? t.setRequiresGrad(true) : t);
            old.close();
        });
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Parameters then buffers of each module, depth first, under dotted names (PyTorch's order and
     * keys). The values are the module's own tensors, not copies: read or save them, do not close them.
     * Unlike {@link #namedParameters()}, a tied tensor or a shared module appears under each of its names.
     */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        addState("", out);
        return out;
    }

    /** PyTorch's state_dict walks every path, so a module reached twice is saved under both names. */
    private void addState(String prefix, Map<String, Tensor> out) {
        parameters.forEach((n, t) -> out.put(prefix + n, t));
        buffers.forEach((n, t) -> out.put(prefix + n, t));
        children.forEach((n, c) -> c.addState(prefix + n + ".", out));
    }

    /** What a non-strict load did not match. */
    public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {}

    /** {@link #loadStateDict(Map, boolean)} with strict = true. */
    public final LoadResult loadStateDict(Map<String, Tensor> state) {
        return loadStateDict(state, true);
    }

    /**
     * Copies values from {@code state} into this module's tensors in place (converting dtype; the
     * caller keeps its tensors). Strict mode refuses missing and unexpected keys; a shape mismatch is
     * refused in either mode. Everything is checked before anything is copied, and the error lists
     * every problem, in PyTorch's words.
     */
    public final LoadResult loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor src = state.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
                continue;
            }
            if (src.isClosed())
                throw new IllegalArgumentException("loadStateDict for " + describe() + ": the tensor for '" + e.getKey() + "' is closed");
            if (!Arrays.equals(src.shape(), e.getValue().shape()))
                mismatched.add("size mismatch for " + e.getKey() + ": copying a param with shape " + Arrays.toString(src.shape())
                        + " from checkpoint, the shape in current model is " + Arrays.toString(e.getValue().shape()) + ".");
        }
        for (String key : state.keySet()) if (!own.containsKey(key)) unexpected.add(key);
        List<String> errors = new ArrayList<>();
        if (strict && !missing.isEmpty()) errors.add("Missing key(s) in state_dict: " + quoted(missing) + ".");
        if (strict && !unexpected.isEmpty()) errors.add("Unexpected key(s) in state_dict: " + quoted(unexpected) + ".");
        errors.addAll(mismatched);
        if (!errors.isEmpty())
            throw new IllegalArgumentException("Error(s) in loading state_dict for " + describe() + ":\n\t" + String.join("\n\t", errors));
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src == null) continue;
                Tensor onDevice = src.to(e.getValue().device());
                try {
                    e.getValue().copyFrom(onDevice);
                } finally {
                    if (onDevice != src) onDevice.close();
                }
            }
        }
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    private static String quoted(List<String> keys) {
        return String.join(", ", keys.stream().map(k -> '"' + k + '"').toList());
    }

    // ---------------------------------------------------------------- lifetime

    /** Frees every parameter, gradient and buffer below this module; idempotent. */
    @Override
    public void close() {
        for (Module m : namedModules().values()) {
            m.parameters.values().forEach(Tensor::close);
            m.buffers.values().forEach(Tensor::close);
        }
    }

    @Override
    public String toString() {
        if (children.isEmpty()) return describe();
        StringBuilder sb = new StringBuilder(describe()).append('(');
        children.forEach((n, c) -> sb.append("\n  (").append(n).append("): ").append(c.toString().replace("\n", "\n  ")));
        return sb.append("\n)").toString();
    }
}
