package io.ddp4j.bindings;

/** An MPI call returned an error code other than {@code MPI_SUCCESS} (with {@code MPI_ERRORS_RETURN} set). */
public final class MpiException extends NativeCallException {
    public MpiException(String call, int code, String codeName, String libraryMessage) {
        super("MPI", call, code, codeName, libraryMessage);
    }
}
