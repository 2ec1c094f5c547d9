package io.ddp4j.bindings.kernel;

import io.ddp4j.bindings.cuda.Cudart;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ddp4j's CUDA kernels: the fatbin nvcc built from {@code native/kernels} (a class-path resource),
 * loaded once with the runtime's library API ({@code cudaLibraryLoadData}), which makes it
 * available on every device without per-context loading. Kernels are looked up by their
 * {@code extern "C"} name and cached.
 */
public final class KernelModule {
    public static final String RESOURCE = "/io/ddp4j/kernels/ddp4j.fatbin";

    private static volatile KernelModule instance;

    private final long library;
    private final ConcurrentHashMap<String, Kernel> kernels = new ConcurrentHashMap<>();

    private KernelModule(long library) {
        this.library = library;
    }

    /** The module, loaded on first use. Throws with instructions when ddp4j was built without nvcc. */
    public static KernelModule get() {
        KernelModule m = instance;
        if (m == null) {
            synchronized (KernelModule.class) {
                m = instance;
                if (m == null) instance = m = load(RESOURCE);
            }
        }
        return m;
    }

    /** True when the fatbin was packaged, i.e. nvcc was present when ddp4j was built. */
    public static boolean isPackaged() {
        return KernelModule.class.getResource(RESOURCE) != null;
    }

    static KernelModule load(String resource) {
        byte[] image;
        try (InputStream in = KernelModule.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("ddp4j's CUDA kernels are not in this build (" + resource
                        + " is missing): nvcc was not found when the bindings module was built. Install the CUDA"
                        + " toolkit (nvcc, and cmake), or set CUDACXX to nvcc, then rebuild (./ddp4j build).");
            }
            image = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("could not read " + resource + ": " + e.getMessage(), e);
        }
        // the image stays valid for the life of the process, whatever the runtime does with it
        MemorySegment code = Arena.global().allocate(image.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(image), 0, code, 0, image.length);
        return new KernelModule(Cudart.cudaLibraryLoadData(code));
    }

    /** The kernel called {@code name}; throws a {@link io.ddp4j.bindings.CudaException} naming it if absent. */
    public Kernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> new Kernel(n, Cudart.cudaLibraryGetKernel(library, n)));
    }
}
