package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parameters that share hyperparameters, PyTorch's {@code param_groups} entry: the tensors and
 * their options by PyTorch's key names ("lr", "momentum", "weight_decay", ...). Options not set
 * here are filled from the optimizer's defaults when the optimizer is made. Booleans ("nesterov",
 * "maximize") are stored as 0 or 1 so that every option is a number a checkpoint can hold.
 */
public final class ParamGroup {
    private final List<Tensor> params;
    private final Map<String, Double> options = new LinkedHashMap<>();

    public ParamGroup(List<Tensor> params) {
        this.params = List.copyOf(params);
    }

    public static ParamGroup of(List<Tensor> params) {
        return new ParamGroup(params);
    }

    public List<Tensor> params() {
        return params;
    }

    /** Sets an option (a learning-rate scheduler sets "lr" each step). */
    public ParamGroup set(String key, double value) {
        options.put(key, value);
        return this;
    }

    public ParamGroup set(String key, boolean value) {
        return set(key, value ? 1 : 0);
    }

    public double get(String key) {
        Double v = options.get(key);
        if (v == null) throw new IllegalArgumentException("param group has no option '" + key + "'; it has " + options.keySet());
        return v;
    }

    public boolean flag(String key) {
        return get(key) != 0;
    }

    public boolean has(String key) {
        return options.containsKey(key);
    }

    public double lr() {
        return get("lr");
    }

    public ParamGroup setLr(double lr) {
        return set("lr", lr);
    }

    /** The options, read-only, in the order they were set (defaults last). */
    public Map<String, Double> options() {
        return Collections.unmodifiableMap(options);
    }
}
