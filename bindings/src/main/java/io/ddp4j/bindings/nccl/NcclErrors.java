package io.ddp4j.bindings.nccl;

import io.ddp4j.bindings.NcclException;
import java.util.List;

/**
 * Turns an {@code ncclResult_t} into an {@link NcclException}. NCCL has no function that names a
 * code, so the names come from the table below (nccl.h of NCCL 2.28); the description is NCCL's
 * own {@code ncclGetErrorString}, followed by {@code ncclGetLastError}, which holds the text of
 * NCCL's last warning (e.g. "AllReduce : invalid type 99") and says what was actually wrong.
 */
public final class NcclErrors {
    private NcclErrors() {}

    /** Index = code, as in {@code ncclResult_t}; {@code ncclNumResults} (8) is the first unknown code. */
    static final List<String> NAMES = List.of(
            "ncclSuccess", "ncclUnhandledCudaError", "ncclSystemError", "ncclInternalError",
            "ncclInvalidArgument", "ncclInvalidUsage", "ncclRemoteError", "ncclInProgress");

    /** The symbolic name of a code, e.g. {@code ncclInvalidArgument}. */
    public static String name(int code) {
        return code >= 0 && code < NAMES.size() ? NAMES.get(code) : "ncclResult(" + code + ")";
    }

    /**
     * NCCL's description of a code plus its last warning; a note instead when NCCL is not loaded
     * (an exception can still be made then, e.g. by tests or for a code read from another process).
     */
    public static String description(int code, long comm) {
        if (!Nccl.isLoaded()) return "(no NCCL library loaded to describe it)";
        String text = Nccl.ncclGetErrorString(code);
        String last = Nccl.ncclGetLastError(comm);
        return last.isBlank() ? text : text + "; NCCL's last warning: " + last.strip();
    }

    /** The exception for {@code call} returning {@code code}; {@code comm} may be 0. */
    public static NcclException exception(String call, int code, long comm) {
        return new NcclException(call, code, name(code), description(code, comm));
    }
}
