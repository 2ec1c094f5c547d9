package io.ddp4j.tensor.backend;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.memory.Storage;

import java.util.Arrays;

/**
 * What a backend sees of a tensor: its storage and how elements are laid out in it. Strides and
 * offset count elements, not bytes; a stride of 0 repeats an element (broadcasting). Backends may
 * write only into outputs the caller allocated for them.
 */
public record TensorData(Storage storage, DType dtype, int[] shape, long[] strides, long offset) {

    public int rank() {
        return shape.length;
    }

    public long numel() {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }

    /** True when the elements are dense in row-major order starting at {@code offset}. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /** The same elements seen with another shape and strides (e.g. broadcast to an output's shape). */
    public TensorData withLayout(int[] newShape, long[] newStrides, long newOffset) {
        return new TensorData(storage, dtype, newShape, newStrides, newOffset);
    }

    public static long[] contiguousStrides(int[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= shape[d];
        }
        return strides;
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
