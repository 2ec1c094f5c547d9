package io.ddp4j.bindings;

/** A cuDNN call returned a {@code cudnnStatus_t} other than {@code CUDNN_STATUS_SUCCESS}. */
public final class CudnnException extends NativeCallException {
    public CudnnException(String call, int code, String codeName, String libraryMessage) {
        super("cuDNN", call, code, codeName, libraryMessage);
    }
}
