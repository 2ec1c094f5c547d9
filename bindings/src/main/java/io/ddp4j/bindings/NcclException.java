package io.ddp4j.bindings;

/** An NCCL call returned an {@code ncclResult_t} other than {@code ncclSuccess}. */
public final class NcclException extends NativeCallException {
    public NcclException(String call, int code, String codeName, String libraryMessage) {
        super("NCCL", call, code, codeName, libraryMessage);
    }

    /** {@code ncclInProgress}: a non-blocking communicator is still being set up. */
    public boolean isInProgress() {
        return code() == 7;
    }
}
