package io.ddp4j.tensor.amp;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.optim.Optimizer;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic loss scaling for float16 training, PyTorch's {@code torch.amp.GradScaler}:
 * <pre>
 * try (var a = Autocast.enable(DType.F16)) { loss = lossFn.forward(model.forward(x), y); }
 * scaler.scale(loss).backward();   // gradients are scale times too large: small ones survive f16
 * scaler.unscale(optimizer);       // optional, before clipping: divides the grads by the scale
 * scaler.step(optimizer);          // skipped when some gradient is inf or NaN
 * scaler.update();                 // backs off on overflow, grows after growthInterval clean steps
 * </pre>
 * {@link #unscale} multiplies every gradient of the optimizer's parameters by 1/scale (in
 * float32, like PyTorch) and records, on each device, whether any gradient holds an inf or a NaN
 * (as the sum of {@code grad * 0}, which is NaN exactly when some element is not finite), without
 * reading it back. {@link #step} reads that flag (one host synchronisation per step, as in PyTorch)
 * and calls {@code optimizer.step()} only when every gradient was finite. {@link #update} then
 * multiplies the scale by {@code backoffFactor} if any optimizer found an overflow since the last
 * update, or by {@code growthFactor} after {@code growthInterval} consecutive clean updates.
 * The scale is a float32 value, as in PyTorch. bfloat16 has float32's range and needs no scaler.
 */
public final class GradScaler {

    /** PyTorch's defaults: init scale 2^16, growth 2, backoff 0.5, growth interval 2000, enabled. */
    public static final class Options {
        double initScale = 65536.0;
        double growthFactor = 2.0;
        double backoffFactor = 0.5;
        int growthInterval = 2000;
        boolean enabled = true;

        public Options initScale(double v) { initScale = v; return this; }
        public Options growthFactor(double v) { growthFactor = v; return this; }
        public Options backoffFactor(double v) { backoffFactor = v; return this; }
        public Options growthInterval(int v) { growthInterval = v; return this; }
        public Options enabled(boolean v) { enabled = v; return this; }
    }

    public static Options options() {
        return new Options();
    }

    private enum Stage { READY, UNSCALED, STEPPED }

    /** What this scaler knows about one optimizer since the last update. */
    private static final class PerOptimizer {
        Stage stage = Stage.READY;
        final List<Tensor> foundInf = new ArrayList<>(); // one NaN-or-zero flag per device, read lazily
        Boolean found;

        boolean found() {
            if (found == null) {
                boolean any = false;
                for (Tensor f : foundInf) any |= !Double.isFinite(f.item());
                found = any;
            }
            return found;
        }

        void close() {
            foundInf.forEach(Tensor::close);
            foundInf.clear();
        }
    }

    private final boolean enabled;
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private float scale;
    private int growthTracker;
    private final Map<Optimizer, PerOptimizer> perOptimizer = new IdentityHashMap<>();

    public GradScaler() {
        this(options());
    }

    public GradScaler(Options o) {
        if (!(o.initScale > 0) || !Float.isFinite((float) o.initScale))
            throw new IllegalArgumentException("GradScaler: init scale must be a positive finite float32, got " + o.initScale);
        if (!(o.growthFactor > 1)) throw new IllegalArgumentException("GradScaler: growth factor must be > 1, got " + o.growthFactor);
        if (!(o.backoffFactor > 0 && o.backoffFactor < 1))
            throw new IllegalArgumentException("GradScaler: backoff factor must be in (0, 1), got " + o.backoffFactor);
        if (o.growthInterval < 1) throw new IllegalArgumentException("GradScaler: growth interval must be >= 1, got " + o.growthInterval);
        this.enabled = o.enabled;
        this.growthFactor = o.growthFactor;
        this.backoffFactor = o.backoffFactor;
        this.growthInterval = o.growthInterval;
        this.scale = (float) o.initScale;
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** The current scale (1 when disabled, as PyTorch's get_scale). */
    public double getScale() {
        return enabled ? scale : 1.0;
    }

    /** Consecutive clean updates since the scale last changed. */
    public int growthTracker() {
        return growthTracker;
    }

    /** {@code loss * scale}, differentiable; {@code loss} itself when disabled. */
    public Tensor scale(Tensor loss) {
        if (!enabled) return loss;
        if (!loss.dtype().isFloatingPoint()) throw new IllegalArgumentException("GradScaler.scale: needs a floating-point loss, got " + loss.describe());
        return loss.mul(scale);
    }

    private PerOptimizer state(Optimizer optimizer) {
        return perOptimizer.computeIfAbsent(optimizer, o -> new PerOptimizer());
    }

    /**
     * Divides the gradients of {@code optimizer}'s parameters by the scale, in place, and records
     * whether any of them holds an inf or a NaN. At most once per optimizer between updates.
     */
    public void unscale(Optimizer optimizer) {
        if (!enabled) return;
        PerOptimizer s = state(optimizer);
        if (s.stage == Stage.UNSCALED)
            throw new IllegalStateException("GradScaler.unscale: already called on this " + optimizer.name() + " since the last update()");
        if (s.stage == Stage.STEPPED)
            throw new IllegalStateException("GradScaler.unscale: called after step() on this " + optimizer.name() + "; call update() first");
        double inverse = (float) (1.0 / (double) scale); // the reciprocal rounded to float32, as PyTorch computes it
        Map<Device, Tensor> flags = new LinkedHashMap<>();
        try (Scope temporaries = Scope.open(); GradMode.Guard g = GradMode.noGrad(); Autocast off = Autocast.disable()) {
            for (Tensor p : optimizer.params()) {
                Tensor grad = p.grad();
                if (grad == null) continue;
                if (grad.dtype() == DType.F16)
                    throw new IllegalArgumentException("GradScaler.unscale: the gradient of " + p.describe()
                            + " is float16; keep the parameters in float32 (autocast casts them for the ops)");
                if (!grad.dtype().isFloatingPoint()) continue;
                // grad * 0 is 0 where grad is finite and NaN where it is inf or NaN; its sum is NaN iff any is
                Tensor flag = grad.mul(0.0).sum().to(DType.F32);
                Tensor previous = flags.get(grad.device());
                if (previous == null) flags.put(grad.device(), flag.keep());
                else previous.addInPlace(flag);
                grad.mulInPlace(inverse);
            }
        } catch (RuntimeException e) {
            flags.values().forEach(Tensor::close);
            throw e;
        }
        s.foundInf.addAll(flags.values());
        s.found = null;
        s.stage = Stage.UNSCALED;
    }

    /**
     * Unscales the gradients if {@link #unscale} was not called, then runs {@code optimizer.step()}
     * unless some gradient was inf or NaN. Returns whether the step ran. At most once per optimizer
     * between updates.
     */
    public boolean step(Optimizer optimizer) {
        if (!enabled) {
            optimizer.step();
            return true;
        }
        PerOptimizer s = state(optimizer);
        if (s.stage == Stage.STEPPED)
            throw new IllegalStateException("GradScaler.step: already called on this " + optimizer.name() + " since the last update()");
        if (s.stage == Stage.READY) unscale(optimizer);
        s.stage = Stage.STEPPED;
        if (s.found()) return false;
        optimizer.step();
        return true;
    }

    /** Whether {@code optimizer}'s gradients held an inf or a NaN in this iteration (reads the flag). */
    public boolean foundInf(Optimizer optimizer) {
        PerOptimizer s = perOptimizer.get(optimizer);
        if (s == null || s.stage == Stage.READY) throw new IllegalStateException("GradScaler.foundInf: unscale() or step() was not called on this " + optimizer.name());
        return s.found();
    }

    /** Adjusts the scale from what the steps since the last update found, then forgets them. */
    public void update() {
        if (!enabled) return;
        if (perOptimizer.isEmpty())
            throw new IllegalStateException("GradScaler.update: no inf checks were recorded; call step(optimizer) (or unscale) first");
        boolean found = false;
        try {
            for (PerOptimizer s : perOptimizer.values()) if (s.stage != Stage.READY) found |= s.found();
        } finally {
            perOptimizer.values().forEach(PerOptimizer::close);
            perOptimizer.clear();
        }
        if (found) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
        } else if (++growthTracker == growthInterval) {
            float grown = (float) (scale * growthFactor);
            if (Float.isFinite(grown)) scale = grown;
            growthTracker = 0;
        }
    }

    /** Sets the scale to {@code newScale} (PyTorch's update(new_scale)) and forgets this iteration's checks. */
    public void update(double newScale) {
        if (!enabled) return;
        if (!(newScale > 0) || !Float.isFinite((float) newScale))
            throw new IllegalArgumentException("GradScaler.update: the new scale must be a positive finite float32, got " + newScale);
        perOptimizer.values().forEach(PerOptimizer::close);
        perOptimizer.clear();
        scale = (float) newScale;
        growthTracker = 0;
    }

    // ---------------------------------------------------------------- checkpoints

    private static final Set<String> KEYS = Set.of("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker");

    /**
     * PyTorch's keys as 0-d tensors for a checkpoint: "scale", "growth_factor", "backoff_factor"
     * (float64) and "growth_interval", "_growth_tracker" (int64). Empty when disabled, as in PyTorch.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        if (!enabled) return out;
        out.put("scale", Tensor.scalar(scale, DType.F64));
        out.put("growth_factor", Tensor.scalar(growthFactor, DType.F64));
        out.put("backoff_factor", Tensor.scalar(backoffFactor, DType.F64));
        out.put("growth_interval", Tensor.scalar(growthInterval, DType.I64));
        out.put("_growth_tracker", Tensor.scalar(growthTracker, DType.I64));
        return out;
    }

    /**
     * Restores the scale and the growth tracker from {@link #stateDict()}; the factors and the
     * interval must match this scaler's (they are options, set when it was made).
     */
    public void loadStateDict(Map<String, Tensor> saved) {
        if (!enabled) {
            if (!saved.isEmpty()) throw new IllegalArgumentException("GradScaler.loadStateDict: this scaler is disabled but the checkpoint has scaler state");
            return;
        }
        if (saved.isEmpty()) throw new IllegalArgumentException("GradScaler.loadStateDict: the checkpoint has no scaler state (saved by a disabled scaler?)");
        List<String> errors = new ArrayList<>();
        for (String k : KEYS) if (!saved.containsKey(k)) errors.add("missing \"" + k + "\"");
        for (String k : saved.keySet()) if (!KEYS.contains(k)) errors.add("unexpected key \"" + k + "\"");
        if (errors.isEmpty()) {
            double s = saved.get("scale").item();
            if (!(s > 0) || !Float.isFinite((float) s)) errors.add("scale " + s + " is not a positive finite float32");
            if (saved.get("growth_factor").item() != growthFactor) errors.add("growth_factor " + saved.get("growth_factor").item() + " in the checkpoint, " + growthFactor + " here");
            if (saved.get("backoff_factor").item() != backoffFactor) errors.add("backoff_factor " + saved.get("backoff_factor").item() + " in the checkpoint, " + backoffFactor + " here");
            if (saved.get("growth_interval").item() != growthInterval) errors.add("growth_interval " + (long) saved.get("growth_interval").item() + " in the checkpoint, " + growthInterval + " here");
        }
        if (!errors.isEmpty()) throw new IllegalArgumentException("Error(s) in loading the GradScaler state dict:\n\t" + String.join("\n\t", errors));
        scale = (float) saved.get("scale").item();
        growthTracker = (int) saved.get("_growth_tracker").item();
    }
}
