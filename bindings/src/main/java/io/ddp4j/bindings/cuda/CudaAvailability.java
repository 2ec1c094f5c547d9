package io.ddp4j.bindings.cuda;

import java.util.Optional;

/**
 * Whether this process can use a CUDA GPU, and if not, a sentence saying why. GPU tests assume
 * on it; {@code ddp4j info} prints it.
 */
public final class CudaAvailability {
    private CudaAvailability() {}

    private static volatile Optional<String> cached;

    /** Empty when at least one CUDA device is usable; otherwise the reason. */
    public static Optional<String> whyUnavailable() {
        Optional<String> c = cached;
        if (c == null) cached = c = probe();
        return c;
    }

    public static boolean isAvailable() {
        return whyUnavailable().isEmpty();
    }

    private static Optional<String> probe() {
        if (!Cudart.isLoaded()) {
            return Optional.of(Cudart.library().failure().map(Throwable::getMessage).orElse("the CUDA runtime did not load"));
        }
        try {
            int n = Cudart.cudaGetDeviceCount();
            return n > 0 ? Optional.empty() : Optional.of("the CUDA runtime reports no devices");
        } catch (RuntimeException e) {
            return Optional.of("no usable CUDA device: " + e.getMessage());
        }
    }
}
