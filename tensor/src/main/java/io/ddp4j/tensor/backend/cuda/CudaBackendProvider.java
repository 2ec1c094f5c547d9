package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.kernel.KernelModule;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.BackendProvider;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves {@code cuda:N} devices (listed in META-INF/services). When no GPU can be used it throws
 * with the reason {@link CudaAvailability} found, so {@code tensor.to(cuda:0)} on a machine
 * without CUDA fails with a sentence, never a crash.
 */
public final class CudaBackendProvider implements BackendProvider {
    private static final Map<Device, CudaBackend> BACKENDS = new ConcurrentHashMap<>();

    @Override
    public Optional<Backend> backendFor(Device device) {
        if (!device.isCuda()) return Optional.empty();
        return Optional.of(backend(device));
    }

    /** The backend for {@code device}, made on first use; throws {@link IllegalStateException} naming why it cannot be. */
    public static CudaBackend backend(Device device) {
        CudaBackend b = BACKENDS.get(device);
        if (b != null) return b;
        return BACKENDS.computeIfAbsent(device, CudaBackendProvider::create);
    }

    /** Why {@code device} cannot be used, or empty when it can (checked before any CUDA call is made). */
    public static Optional<String> whyUnusable(Device device) {
        if (!device.isCuda()) return Optional.of(device + " is not a cuda device");
        Optional<String> why = CudaAvailability.whyUnavailable();
        if (why.isPresent()) return why;
        int count = Cudart.cudaGetDeviceCount();
        if (device.index() >= count)
            return Optional.of("this machine has " + count + " CUDA device" + (count == 1 ? "" : "s") + " (cuda:0" + (count > 1 ? " to cuda:" + (count - 1) : "") + ")");
        if (!KernelModule.isPackaged())
            return Optional.of("ddp4j's CUDA kernels are not in this build: nvcc was not found when the bindings module was built");
        return Optional.empty();
    }

    private static CudaBackend create(Device device) {
        Optional<String> why = whyUnusable(device);
        if (why.isPresent()) throw new IllegalStateException("cannot use " + device + ": " + why.get());
        return new CudaBackend(device);
    }
}
