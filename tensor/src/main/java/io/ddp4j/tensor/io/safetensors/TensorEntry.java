package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * One named tensor as raw bytes: {@code data} holds the elements row-major and little-endian,
 * exactly as safetensors stores them. Entries read from a file are slices of its mapping and
 * live as long as the {@link SafetensorsFile}.
 */
public record TensorEntry(String name, DType dtype, long[] shape, MemorySegment data) {

    public TensorEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(data, "data");
        shape = shape.clone();
        long bytes = Math.multiplyExact(elementCount(shape), (long) dtype.byteSize());
        if (data.byteSize() != bytes) {
            throw new IllegalArgumentException("tensor " + Json.quote(name) + ": shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs " + bytes + " bytes, data has " + data.byteSize());
        }
    }

    /** An F32 entry holding a copy of {@code values}, stored little-endian. */
    public static TensorEntry ofFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new TensorEntry(name, DType.F32, shape, MemorySegment.ofArray(b.array()));
    }

    /** The shape (a copy: records would otherwise expose the array). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return elementCount(shape);
    }

    /** The product of the dimensions; 1 for a scalar (empty shape). */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + " " + dtype + " " + Arrays.toString(shape) + "]";
    }
}
