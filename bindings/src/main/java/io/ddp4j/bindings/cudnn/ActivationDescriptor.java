package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

/** A {@code cudnnActivationDescriptor_t}. */
public final class ActivationDescriptor extends CudnnResource {
    private final int mode;
    private final double coef;

    private ActivationDescriptor(long address, int mode, double coef) {
        super(address);
        this.mode = mode;
        this.coef = coef;
    }

    /** cudnnSetActivationDescriptor; {@code coef} is the clipped ReLU's ceiling or the ELU's alpha. */
    public static ActivationDescriptor of(int mode, int nanOpt, double coef) {
        String context = "ActivationDescriptor.of(mode " + mode + ", coef " + coef + ")";
        Shapes.requireOneOf(context, "cudnnActivationMode_t", mode, CUDNN_ACTIVATION_SIGMOID, CUDNN_ACTIVATION_SWISH);
        Shapes.requireOneOf(context, "cudnnNanPropagation_t", nanOpt, CUDNN_NOT_PROPAGATE_NAN, CUDNN_PROPAGATE_NAN);
        if (Double.isNaN(coef)) throw new IllegalArgumentException(context + ": coef is NaN");
        long address = CudnnResource.configured(Cudnn.cudnnCreateActivationDescriptor(),
                d -> Cudnn.cudnnSetActivationDescriptor(d, mode, nanOpt, coef), Cudnn::cudnnDestroyActivationDescriptor);
        return new ActivationDescriptor(address, mode, coef);
    }

    /** max(x, 0), NaN propagating as in PyTorch. */
    public static ActivationDescriptor relu() {
        return of(CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0);
    }

    public int mode() {
        return mode;
    }

    public double coef() {
        return coef;
    }

    @Override
    void destroy(long address) {
        Cudnn.cudnnDestroyActivationDescriptor(address);
    }

    @Override
    public String toString() {
        return "ActivationDescriptor[mode " + mode + ", coef " + coef + (isClosed() ? ", closed]" : "]");
    }
}
