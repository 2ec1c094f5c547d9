package io.ddp4j.ddp.pg;

import io.ddp4j.tensor.DType;

/**
 * The argument rules that allGather and reduceScatter share on every backend and buffer kind:
 * one dtype, and the whole buffer holding {@code size} parts.
 */
public final class CollectiveShapes {
    private CollectiveShapes() {}

    /** allGather: the output holds {@code size} inputs. */
    public static void allGather(int size, DType output, long outputCount, DType input, long inputCount) {
        sameDtype(output, input);
        if (outputCount != inputCount * size)
            throw new IllegalArgumentException("allGather output must hold size * input = " + size + " * " + inputCount + " elements, got " + outputCount);
    }

    /** reduceScatter: the input holds {@code size} outputs, and {@code op} is defined for the dtype. */
    public static void reduceScatter(int size, DType output, long outputCount, DType input, long inputCount, ReduceOp op) {
        sameDtype(output, input);
        Reductions.check(input, op);
        if (inputCount != outputCount * size)
            throw new IllegalArgumentException("reduceScatter input must hold size * output = " + size + " * " + outputCount + " elements, got " + inputCount);
    }

    private static void sameDtype(DType output, DType input) {
        if (output != input) throw new IllegalArgumentException("input is " + input + " but output is " + output);
    }
}
