package io.ddp4j.bindings.cuda;

import io.ddp4j.bindings.CudaException;
import java.util.Map;

/**
 * Turns a {@code cudaError_t} into a {@link CudaException}, with the runtime's own name and text
 * for the code. The table below names the codes ddp4j meets most, for when the runtime itself
 * cannot be asked.
 */
public final class CudaErrors {
    private CudaErrors() {}

    static final Map<Integer, String> KNOWN = Map.ofEntries(
            Map.entry(1, "cudaErrorInvalidValue"),
            Map.entry(2, "cudaErrorMemoryAllocation"),
            Map.entry(3, "cudaErrorInitializationError"),
            Map.entry(4, "cudaErrorCudartUnloading"),
            Map.entry(9, "cudaErrorInvalidConfiguration"),
            Map.entry(17, "cudaErrorInvalidDevicePointer"),
            Map.entry(21, "cudaErrorInvalidMemcpyDirection"),
            Map.entry(35, "cudaErrorInsufficientDriver"),
            Map.entry(100, "cudaErrorNoDevice"),
            Map.entry(101, "cudaErrorInvalidDevice"),
            Map.entry(200, "cudaErrorInvalidKernelImage"),
            Map.entry(209, "cudaErrorNoKernelImageForDevice"),
            Map.entry(400, "cudaErrorInvalidResourceHandle"),
            Map.entry(500, "cudaErrorSymbolNotFound"),
            Map.entry(600, "cudaErrorNotReady"),
            Map.entry(700, "cudaErrorIllegalAddress"),
            Map.entry(719, "cudaErrorLaunchFailure"),
            Map.entry(900, "cudaErrorStreamCaptureUnsupported"),
            Map.entry(901, "cudaErrorStreamCaptureInvalidated"));

    /** The symbolic name of a code, from the runtime when it is loaded, else from the table. */
    public static String name(int code) {
        if (Cudart.isLoaded()) {
            String n = Cudart.cudaGetErrorName(code);
            if (!n.isEmpty() && !n.startsWith("unrecognized")) return n;
        }
        return KNOWN.getOrDefault(code, "cudaError(" + code + ")");
    }

    /** The runtime's description of a code, or a note that the runtime could not be asked. */
    public static String description(int code) {
        return Cudart.isLoaded() ? Cudart.cudaGetErrorString(code) : "(no CUDA runtime loaded to describe it)";
    }

    /**
     * The exception for {@code call} returning {@code code}. A non-sticky error is also cleared from
     * the runtime's per-thread "last error", so a later check does not report it a second time.
     */
    public static CudaException exception(String call, int code) {
        if (Cudart.isLoaded()) Cudart.cudaGetLastError();
        return new CudaException(call, code, name(code), description(code));
    }
}
