package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

import io.ddp4j.bindings.CudnnException;
import java.util.Map;

/**
 * Turns a {@code cudnnStatus_t} into a {@link CudnnException}. The name comes from the table
 * below (every status of cuDNN 9, so a failure is named even when the library cannot be asked);
 * the description is cuDNN's own: the detailed text of the thread's last error when cuDNN kept
 * one (it usually names the offending argument), else its string for the code.
 */
public final class CudnnErrors {
    private CudnnErrors() {}

    static final Map<Integer, String> KNOWN = Map.ofEntries(
            Map.entry(CUDNN_STATUS_SUCCESS, "CUDNN_STATUS_SUCCESS"),
            Map.entry(CUDNN_STATUS_NOT_INITIALIZED, "CUDNN_STATUS_NOT_INITIALIZED"),
            Map.entry(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH, "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"),
            Map.entry(CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH, "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH"),
            Map.entry(CUDNN_STATUS_DEPRECATED, "CUDNN_STATUS_DEPRECATED"),
            Map.entry(CUDNN_STATUS_LICENSE_ERROR, "CUDNN_STATUS_LICENSE_ERROR"),
            Map.entry(CUDNN_STATUS_RUNTIME_IN_PROGRESS, "CUDNN_STATUS_RUNTIME_IN_PROGRESS"),
            Map.entry(CUDNN_STATUS_RUNTIME_FP_OVERFLOW, "CUDNN_STATUS_RUNTIME_FP_OVERFLOW"),
            Map.entry(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED"),
            Map.entry(CUDNN_STATUS_BAD_PARAM, "CUDNN_STATUS_BAD_PARAM"),
            Map.entry(CUDNN_STATUS_INVALID_VALUE, "CUDNN_STATUS_INVALID_VALUE"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER, "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED, "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND, "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT, "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH, "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES, "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE, "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH, "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH"),
            Map.entry(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE, "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED, "CUDNN_STATUS_NOT_SUPPORTED"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN, "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_SHAPE, "CUDNN_STATUS_NOT_SUPPORTED_SHAPE"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE, "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT, "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH, "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING, "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE, "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT, "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_PADDING, "CUDNN_STATUS_NOT_SUPPORTED_PADDING"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM, "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM"),
            Map.entry(CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API, "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR, "CUDNN_STATUS_INTERNAL_ERROR"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED, "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE, "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED, "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED, "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM, "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM"),
            Map.entry(CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED, "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED"),
            Map.entry(CUDNN_STATUS_EXECUTION_FAILED, "CUDNN_STATUS_EXECUTION_FAILED"),
            Map.entry(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER, "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER"),
            Map.entry(CUDNN_STATUS_EXECUTION_FAILED_CUBLAS, "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS"),
            Map.entry(CUDNN_STATUS_EXECUTION_FAILED_CUDART, "CUDNN_STATUS_EXECUTION_FAILED_CUDART"),
            Map.entry(CUDNN_STATUS_EXECUTION_FAILED_CURAND, "CUDNN_STATUS_EXECUTION_FAILED_CURAND"));

    /** The status category cuDNN 9 encodes in the thousands (CUDNN_STATUS_CATEGORY in cudnn_graph.h). */
    public static int category(int code) {
        return code / 1000 * 1000;
    }

    /**
     * The symbolic name of a status. A code newer than this table (a later cuDNN 9 may add some)
     * is named by its number and its category, which cuDNN 9 keeps stable.
     */
    public static String name(int code) {
        String known = KNOWN.get(code);
        if (known != null) return known;
        String category = code > 0 ? KNOWN.get(category(code)) : null;
        return category != null ? "cudnnStatus(" + code + ", a " + category + ")" : "cudnnStatus(" + code + ")";
    }

    /** cuDNN's description of a failure that just happened on this thread, or a note that cuDNN is absent. */
    public static String description(int code) {
        if (!Cudnn.isLoaded()) return "(cuDNN not loaded to describe it)";
        String detail;
        String text;
        try {
            detail = Cudnn.cudnnGetLastErrorString().strip();
            text = Cudnn.cudnnGetErrorString(code);
        } catch (RuntimeException e) {
            // a describing call failing must not hide the failure being described
            return "(cuDNN could not describe it: " + e.getMessage() + ")";
        }
        if (detail.isEmpty()) return text.isEmpty() ? "(cuDNN gave no description)" : text;
        return detail;
    }

    /** The exception for {@code call} returning {@code code}; call it right after the failing call. */
    public static CudnnException exception(String call, int code) {
        return new CudnnException(call, code, name(code), description(code));
    }
}
