package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.tensor.Device;

/**
 * The messages for errors kernels report through the device's error slot (codes in
 * {@code tensor.cuh}). They surface at the next read back to the host, as CUDA errors do in
 * PyTorch, naming the op, the position and the bad value.
 */
final class KernelErrors {
    static final int CROSS_ENTROPY_TARGET = 1, INDEX_SELECT_INDEX = 2, INDEX_ADD_INDEX = 3;

    private KernelErrors() {}

    static String describe(Device device, long code, long pos, long value, long limit) {
        String where = " (reported by a kernel on " + device + "; the error is seen at the next read back to the host)";
        return switch ((int) code) {
            case CROSS_ENTROPY_TARGET -> "cross_entropy: target " + value + " at position " + pos + " is out of range for " + limit + " classes" + where;
            case INDEX_SELECT_INDEX -> "index_select: index " + value + " at position " + pos + " is out of range for a dim of size " + limit + where;
            case INDEX_ADD_INDEX -> "index_add: index " + value + " at position " + pos + " is out of range for a dim of size " + limit + where;
            default -> "a kernel reported error code " + code + " (position " + pos + ", value " + value + ", limit " + limit + ")" + where;
        };
    }
}
