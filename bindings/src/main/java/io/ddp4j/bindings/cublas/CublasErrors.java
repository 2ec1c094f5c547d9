package io.ddp4j.bindings.cublas;

import io.ddp4j.bindings.CublasException;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Turns a {@code cublasStatus_t} (shared by cuBLAS and cuBLASLt) into a {@link CublasException}
 * with the library's own name and text for the code. The table holds every status of
 * {@code cublas_api.h} (cuBLAS 12.x and 13.x), for when the library cannot be asked.
 */
public final class CublasErrors {
    private CublasErrors() {}

    /** Every {@code cublasStatus_t} value (cublas_api.h, cuBLAS 13.x; unchanged since 12.0). */
    static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(0, "CUBLAS_STATUS_SUCCESS"),
            Map.entry(1, "CUBLAS_STATUS_NOT_INITIALIZED"),
            Map.entry(3, "CUBLAS_STATUS_ALLOC_FAILED"),
            Map.entry(7, "CUBLAS_STATUS_INVALID_VALUE"),
            Map.entry(8, "CUBLAS_STATUS_ARCH_MISMATCH"),
            Map.entry(11, "CUBLAS_STATUS_MAPPING_ERROR"),
            Map.entry(13, "CUBLAS_STATUS_EXECUTION_FAILED"),
            Map.entry(14, "CUBLAS_STATUS_INTERNAL_ERROR"),
            Map.entry(15, "CUBLAS_STATUS_NOT_SUPPORTED"),
            Map.entry(16, "CUBLAS_STATUS_LICENSE_ERROR"));

    /** The library's own name and text for a status; null when it cannot be asked. */
    record StatusText(IntFunction<String> name, IntFunction<String> message) {}

    static final String NO_LIBRARY = "(cuBLAS is not loaded, so it cannot describe the status)";

    /** The exception for a cuBLAS call ({@code cublas*}) that returned {@code code}. */
    public static CublasException exception(String call, int code) {
        StatusText text = Cublas.isLoaded() ? new StatusText(Cublas::cublasGetStatusName, Cublas::cublasGetStatusString) : null;
        return exception(call, code, text);
    }

    /** The exception for a cuBLASLt call ({@code cublasLt*}), described by cuBLASLt itself. */
    public static CublasException ltException(String call, int code) {
        StatusText text = CublasLt.isLoaded() ? new StatusText(CublasLt::cublasLtGetStatusName, CublasLt::cublasLtGetStatusString) : null;
        return exception(call, code, text);
    }

    /** The symbolic name of a status from the table alone, e.g. {@code CUBLAS_STATUS_INVALID_VALUE}. */
    public static String tableName(int code) {
        return NAMES.getOrDefault(code, "cublasStatus(" + code + ")");
    }

    static CublasException exception(String call, int code, StatusText library) {
        return new CublasException(call, code, name(code, library), message(code, library));
    }

    /**
     * The library's name when it gives a real one; the table otherwise. A library asked about a
     * code it does not know answers with a placeholder, which is not a name.
     */
    static String name(int code, StatusText library) {
        String fromLibrary = ask(library == null ? null : library.name(), code);
        if (fromLibrary != null && fromLibrary.startsWith("CUBLAS_STATUS_")) return fromLibrary;
        return tableName(code);
    }

    static String message(int code, StatusText library) {
        String fromLibrary = ask(library == null ? null : library.message(), code);
        return fromLibrary == null || fromLibrary.isBlank() ? NO_LIBRARY : fromLibrary;
    }

    /** Asks the library, never letting a failure to describe an error hide the error itself. */
    private static String ask(IntFunction<String> f, int code) {
        if (f == null) return null;
        try {
            return f.apply(code);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
