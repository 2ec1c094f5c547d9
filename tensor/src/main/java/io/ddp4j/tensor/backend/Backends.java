package io.ddp4j.tensor.backend;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.backend.cpu.CpuBackend;

import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/** Finds the backend for a device: the built-in CPU one, or one from a {@link BackendProvider}. */
public final class Backends {
    private static final Map<Device, Backend> BACKENDS = new ConcurrentHashMap<>();

    static {
        BACKENDS.put(Device.CPU, CpuBackend.INSTANCE);
    }

    private Backends() {}

    public static Backend forDevice(Device device) {
        Backend b = BACKENDS.get(device);
        if (b != null) return b;
        return BACKENDS.computeIfAbsent(device, Backends::load);
    }

    /** Installs a backend by hand (tests, or a program that wires its own). */
    public static void register(Backend backend) {
        BACKENDS.put(backend.device(), backend);
    }

    private static Backend load(Device device) {
        for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
            Optional<Backend> b = provider.backendFor(device);
            if (b.isPresent()) return b.get();
        }
        throw new IllegalStateException("no backend for device " + device + ": the CPU backend is built in; a "
                + device.type().name().toLowerCase(java.util.Locale.ROOT) + " backend must be on the class path "
                + "(a BackendProvider listed in META-INF/services/io.ddp4j.tensor.backend.BackendProvider)");
    }
}
