package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an optimizer remembers about one parameter: named tensors (momentum_buffer, exp_avg, ...),
 * owned here and outside every scope, and a step count (Adam's bias correction needs it).
 */
public final class ParamState implements AutoCloseable {
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private long step;

    /** The tensor called {@code name}, or null before the optimizer made it. */
    public Tensor get(String name) {
        return tensors.get(name);
    }

    /** Stores {@code value} (taking ownership: it is kept out of scopes); closes what it replaces. */
    public Tensor put(String name, Tensor value) {
        Tensor old = tensors.put(name, value.keep());
        if (old != null && old != value) old.close();
        return value;
    }

    public Map<String, Tensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public long step() {
        return step;
    }

    public void setStep(long step) {
        this.step = step;
    }

    /** Adds one to the step count and returns the new count. */
    public long incrementStep() {
        return ++step;
    }

    public boolean isEmpty() {
        return tensors.isEmpty() && step == 0;
    }

    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
        tensors.clear();
        step = 0;
    }
}
