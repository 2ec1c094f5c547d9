package io.ddp4j.bindings.loader;

import java.util.List;

/**
 * One NVIDIA library as ddp4j looks for it: the soname to load (a major version, never the bare
 * {@code .so}) and the folder of NVIDIA's Python wheels that ship it ({@code nvidia/<wheel>/lib}).
 *
 * @param explicitPathOnly look only in {@code DDP4J_CUDA_PATH} before asking the system's dynamic
 *                         loader: for the driver, which must be the one the loader gives the
 *                         CUDA runtime (it matches the kernel module), unless the user names
 *                         another (ddp4j's CUDA emulator)
 */
public record LibrarySpec(String displayName, String soname, List<String> wheelFolders, boolean explicitPathOnly) {

    public static final LibrarySpec CUDART = new LibrarySpec("CUDA runtime", "libcudart.so.13", List.of("cuda_runtime", "cu13"));
    public static final LibrarySpec CUBLAS = new LibrarySpec("cuBLAS", "libcublas.so.13", List.of("cublas", "cu13"));
    public static final LibrarySpec CUBLASLT = new LibrarySpec("cuBLASLt", "libcublasLt.so.13", List.of("cublas", "cu13"));
    public static final LibrarySpec CUDNN = new LibrarySpec("cuDNN", "libcudnn.so.9", List.of("cudnn", "cu13"));
    public static final LibrarySpec NCCL = new LibrarySpec("NCCL", "libnccl.so.2", List.of("nccl", "cu13"));

    /** The CUDA driver; the bindings do not use it, test helpers do (stream memory operations). */
    public static final LibrarySpec CUDA_DRIVER = new LibrarySpec("CUDA driver", "libcuda.so.1", List.of(), true);

    /** Open MPI 4 or 5 as Debian packages it (openmpi-bin, libopenmpi-dev). */
    public static final LibrarySpec MPI = new LibrarySpec("Open MPI", "libmpi.so.40", List.of());

    public LibrarySpec {
        if (soname == null || soname.isBlank()) throw new IllegalArgumentException("a library needs a soname");
        wheelFolders = List.copyOf(wheelFolders);
    }

    /** A library looked for along the whole search path. */
    public LibrarySpec(String displayName, String soname, List<String> wheelFolders) {
        this(displayName, soname, wheelFolders, false);
    }
}
