package io.ddp4j.bindings.cudnn;

import java.util.Arrays;

/** Argument checks shared by the descriptors, done in Java so cuDNN only ever sees sensible values. */
final class Shapes {
    private Shapes() {}

    static void requirePositive(String context, String what, int value) {
        if (value <= 0) throw new IllegalArgumentException(context + ": " + what + " must be positive, got " + value);
    }

    static void requireNonNegative(String context, String what, int value) {
        if (value < 0) throw new IllegalArgumentException(context + ": " + what + " must not be negative, got " + value);
    }

    static void requireOneOf(String context, String what, int value, int lowest, int highest) {
        if (value < lowest || value > highest) {
            throw new IllegalArgumentException(context + ": " + what + " " + value + " is not a valid value (" + lowest + ".." + highest + ")");
        }
    }

    /** Row-major strides of a packed tensor. */
    static int[] packedStrides(int[] dims) {
        int[] strides = new int[dims.length];
        long s = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            if (s > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + Arrays.toString(dims) + " is too large for cuDNN's 32-bit strides");
            strides[i] = (int) s;
            s *= dims[i];
        }
        return strides;
    }

    static long product(int[] dims) {
        long p = 1;
        for (int d : dims) p *= d;
        return p;
    }

    /** e.g. "2x3x4x5". */
    static String format(int[] dims) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < dims.length; i++) sb.append(i == 0 ? "" : "x").append(dims[i]);
        return sb.toString();
    }
}
