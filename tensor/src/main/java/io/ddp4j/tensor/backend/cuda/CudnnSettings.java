package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cudnn.Cudnn;

import java.util.Optional;

/**
 * How the CUDA backend uses cuDNN for convolutions, PyTorch's three switches under
 * {@code torch.backends.cudnn}, read from system properties once per backend:
 * <ul>
 *   <li>{@code ddp4j.cudnn.enabled} (default true): false runs ddp4j's direct convolution kernels;</li>
 *   <li>{@code ddp4j.cudnn.benchmark} (default false): true times every algorithm once per shape
 *       and keeps the fastest, instead of asking cuDNN's heuristics;</li>
 *   <li>{@code ddp4j.cudnn.deterministic} (default false): true allows only algorithms that give
 *       the same bits run to run.</li>
 * </ul>
 */
record CudnnSettings(boolean enabled, boolean benchmark, boolean deterministic) {

    static CudnnSettings fromSystemProperties() {
        return new CudnnSettings(flag("ddp4j.cudnn.enabled", true), flag("ddp4j.cudnn.benchmark", false), flag("ddp4j.cudnn.deterministic", false));
    }

    /** A property's boolean value; anything but true or false is a mistake worth stopping for. */
    static boolean flag(String name, boolean otherwise) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) return otherwise;
        return switch (v.trim().toLowerCase()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("system property " + name + " must be true or false, got \"" + v + "\"");
        };
    }

    /** Why convolutions will not run on cuDNN, or empty when they will. */
    Optional<String> whyNotCudnn() {
        if (!enabled) return Optional.of("cuDNN is switched off (-Dddp4j.cudnn.enabled=false)");
        if (!Cudnn.isLoaded())
            return Optional.of("cuDNN was not found: " + Cudnn.library().failure().map(Throwable::getMessage).orElse("not loaded"));
        return Optional.empty();
    }
}
