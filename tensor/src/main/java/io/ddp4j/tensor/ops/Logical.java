package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;

/**
 * PyTorch's logical_not, logical_and, logical_or and logical_xor: operands of any dtype, where
 * every nonzero value (NaN included) is true, and a bool result. Built from the comparisons and
 * bool arithmetic (bool addition is or, multiplication is and), so each device has them.
 */
public final class Logical {
    private Logical() {}

    public static Tensor not(Tensor x) {
        Checks.open("logicalNot", x);
        return x.eq(0L);
    }

    public static Tensor and(Tensor a, Tensor b) {
        return combine("logicalAnd", a, b, Tensor::mul);
    }

    public static Tensor or(Tensor a, Tensor b) {
        return combine("logicalOr", a, b, Tensor::add);
    }

    public static Tensor xor(Tensor a, Tensor b) {
        return combine("logicalXor", a, b, Tensor::ne);
    }

    /** op of a's and b's truth values, both bool, so op computes in bool. */
    private static Tensor combine(String name, Tensor a, Tensor b, java.util.function.BinaryOperator<Tensor> op) {
        Checks.open(name, a, b);
        Tensor ta = truth(a), tb = truth(b);
        try {
            return op.apply(ta, tb);
        } finally {
            if (ta != a) ta.close();
            if (tb != b) tb.close();
        }
    }

    /** x itself when it is bool, else x != 0. */
    private static Tensor truth(Tensor x) {
        return x.dtype() == DType.BOOL ? x : x.ne(0L);
    }
}
