package io.ddp4j.bindings.mpi;

import io.ddp4j.bindings.MpiException;
import java.util.List;

/** MPI error codes to {@link MpiException}: the class name from the standard, the text from the library. */
public final class MpiErrors {
    private MpiErrors() {}

    /** The MPI standard's error classes 0..22, in order (Open MPI's mpi.h numbers them so). */
    static final List<String> CLASSES = List.of("MPI_SUCCESS", "MPI_ERR_BUFFER", "MPI_ERR_COUNT", "MPI_ERR_TYPE",
            "MPI_ERR_TAG", "MPI_ERR_COMM", "MPI_ERR_RANK", "MPI_ERR_REQUEST", "MPI_ERR_ROOT", "MPI_ERR_GROUP",
            "MPI_ERR_OP", "MPI_ERR_TOPOLOGY", "MPI_ERR_DIMS", "MPI_ERR_ARG", "MPI_ERR_UNKNOWN", "MPI_ERR_TRUNCATE",
            "MPI_ERR_OTHER", "MPI_ERR_INTERN", "MPI_ERR_IN_STATUS", "MPI_ERR_PENDING", "MPI_ERR_ACCESS",
            "MPI_ERR_AMODE", "MPI_ERR_ASSERT");

    /** The error class's name for a code. */
    public static String name(int code) {
        int cls = Mpi.LIB.isLoaded() ? Mpi.MPI_Error_class(code) : code;
        if (cls < 0) cls = code;
        return cls < CLASSES.size() ? CLASSES.get(cls) : "MPI_ERR(" + code + ")";
    }

    public static MpiException exception(String call, int code) {
        String text = Mpi.LIB.isLoaded() ? Mpi.MPI_Error_string(code) : "";
        return new MpiException(call, code, name(code), text.isEmpty() ? "(no MPI library loaded to describe it)" : text);
    }
}
