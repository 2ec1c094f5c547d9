package io.ddp4j.tensor.backend;

import java.util.List;

/**
 * A backend that updates many parameters with one kernel launch (PyTorch's fused/foreach
 * optimizers, multi_tensor_apply): the CUDA backend implements it with
 * {@code native/kernels/optim_fused.cu} for SGD and Adam; the CPU backend in one pass per
 * parameter for both (CpuFusedSgd, CpuFusedAdam). For the kinds a backend does not fuse,
 * optimizers take their per-tensor path. Every tensor of an update is a dense float32 tensor on
 * this backend's device.
 */
public interface MultiTensorUpdates {
    /** Flag bits of {@link Update#flags()}, as {@code MT_*} in optim_fused.cu. */
    long MAXIMIZE = 1, NESTEROV = 2, WEIGHT_DECAY = 4, MOMENTUM = 8, DECOUPLED = 16;

    enum Kind { SGD, ADAM }

    /**
     * One parameter: state0 is SGD's momentum buffer (null without momentum) or Adam's exp_avg,
     * state1 Adam's exp_avg_sq; flags bit 0 marks SGD's first momentum step; scalar0 and scalar1
     * are Adam's per-parameter -lr / bias_correction1 and sqrt(bias_correction2).
     */
    record Entry(TensorData param, TensorData grad, TensorData state0, TensorData state1, long flags, double scalar0, double scalar1) {}

    /** Hyperparameters in the order optim_fused.cu reads them (see each kernel), at most 8. */
    record Update(Kind kind, List<Entry> tensors, double[] hyper, long flags) {}

    /** Whether this backend takes updates of {@code kind}. */
    default boolean fuses(Kind kind) {
        return true;
    }

    /** Enqueues the whole update (a few launches at most) and returns. */
    void multiTensorUpdate(Update update);
}
