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

    /** The name device 0 reports when the CUDA runtime is ddp4j's host emulator (native/emulator). */
    public static final String EMULATOR_NAME_PREFIX = "ddp4j CUDA emulator";

    /**
     * Whether the CUDA runtime loaded is ddp4j's emulator, which runs GPU code paths on the host
     * for tests (correct results, no GPU speed): tests that time the GPU or need a GPU's scale
     * skip or shrink there.
     */
    public static boolean isEmulator() {
        return isAvailable() && Cudart.cudaGetDeviceProperties(0).name().startsWith(EMULATOR_NAME_PREFIX);
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
