package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.MultiTensorUpdates;

import java.util.ArrayList;
import java.util.List;

/**
 * When a param group can take the fused multi-tensor path, for SGD and Adam/AdamW (CUDA kernels, and
 * the CPU backend's one-pass loops): only dense float32 tensors, the dtype whose per-tensor rounding
 * the fused code reproduces; anything else stays on the per-tensor path.
 */
final class Fused {
    private Fused() {}

    /** The group's parameters that have a gradient, in order. */
    static List<Tensor> withGrad(ParamGroup group) {
        List<Tensor> out = new ArrayList<>();
        for (Tensor p : group.params()) if (p.grad() != null) out.add(p);
        return out;
    }

    /** A dense float32 tensor shaped like {@code like} (null counts as fine: it will be made dense). */
    static boolean denseOrAbsent(Tensor t, Tensor like) {
        return t == null || (t.dtype() == DType.F32 && t.isContiguous() && t.device().equals(like.device()) && t.numel() == like.numel());
    }

    /**
     * The backend that can update all of {@code params} in one launch: every parameter and gradient
     * dense float32 on one device whose backend fuses {@code kind}; otherwise null.
     */
    static MultiTensorUpdates backendFor(List<Tensor> params, MultiTensorUpdates.Kind kind) {
        if (params.isEmpty()) return null;
        Device device = params.get(0).device();
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (!p.device().equals(device) || p.dtype() != DType.F32 || !p.isContiguous()) return null;
            if (!g.device().equals(device) || g.dtype() != DType.F32 || !g.isContiguous() || g.numel() != p.numel()) return null;
        }
        return Backends.forDevice(device) instanceof MultiTensorUpdates m && m.fuses(kind) ? m : null;
    }
}
