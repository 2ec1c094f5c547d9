package io.ddp4j.bindings;

/**
 * A call into an NVIDIA library returned an error status. Names the call, the numeric code, the
 * code's symbolic name and the library's own description of it.
 */
public abstract sealed class NativeCallException extends RuntimeException
        permits CudaException, CublasException, CudnnException, NcclException, MpiException {

    private final String call;
    private final int code;
    private final String codeName;
    private final String libraryMessage;

    protected NativeCallException(String library, String call, int code, String codeName, String libraryMessage) {
        super(call + " failed: " + codeName + " (" + library + " status " + code + "): " + libraryMessage);
        this.call = call;
        this.code = code;
        this.codeName = codeName;
        this.libraryMessage = libraryMessage;
    }

    /** The C function that failed, e.g. {@code cudaMalloc}. */
    public String call() {
        return call;
    }

    /** The raw status code the function returned. */
    public int code() {
        return code;
    }

    /** The status code's name, e.g. {@code cudaErrorMemoryAllocation}. */
    public String codeName() {
        return codeName;
    }

    /** The library's own description of the status (its error-string function). */
    public String libraryMessage() {
        return libraryMessage;
    }
}
