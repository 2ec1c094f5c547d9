package io.ddp4j.tensor.data.idx;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The contents of one IDX file: its shape, element type and raw data, exactly as stored
 * (row-major, big-endian for multi-byte types). The arrays are shared, not copied: the reader
 * hands over the only reference it had.
 */
public record IdxArray(int[] shape, IdxType type, byte[] data) {

    public IdxArray {
        long count = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            count *= d;
        }
        if (count * type.byteSize() != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + type + " needs "
                    + count * type.byteSize() + " bytes, data has " + data.length);
        }
    }

    public int rank() {
        return shape.length;
    }

    public int elementCount() {
        return data.length / type.byteSize();
    }

    /** Element {@code i} (row-major) as a double, whatever the stored type; unsigned bytes give 0..255. */
    public double get(int i) {
        ByteBuffer b = ByteBuffer.wrap(data); // big-endian by default, as IDX is
        int at = i * type.byteSize();
        return switch (type) {
            case UNSIGNED_BYTE -> data[i] & 0xFF;
            case SIGNED_BYTE -> data[i];
            case SHORT -> b.getShort(at);
            case INT -> b.getInt(at);
            case FLOAT -> b.getFloat(at);
            case DOUBLE -> b.getDouble(at);
        };
    }

    @Override
    public String toString() {
        return "IdxArray[" + type + " " + Arrays.toString(shape) + "]";
    }
}
