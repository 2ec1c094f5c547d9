package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.UnaryOp;

import java.util.Arrays;
import java.util.Locale;

/** Elementwise ops with broadcasting and PyTorch's type promotion; {@link InPlace} has the in-place forms. */
public final class Elementwise {
    private Elementwise() {}

    public static String name(Enum<?> op) {
        return op.name().toLowerCase(Locale.ROOT);
    }

    private static boolean needsFloat(UnaryOp op) {
        return switch (op) {
            case EXP, LOG, SQRT, SIGMOID, TANH, GELU, GELU_DERIVATIVE -> true;
            default -> false;
        };
    }

    private static boolean differentiable(UnaryOp op) {
        return switch (op) {
            case STEP, SIGN -> false; // masks: a zero derivative almost everywhere
            default -> true;
        };
    }

    public static Tensor unary(UnaryOp op, Tensor x) {
        String name = name(op);
        Checks.open(name, x);
        if (x.dtype() == DType.BOOL) checkBool(name, op, x);
        if (needsFloat(op) && !x.dtype().isFloatingPoint()) {
            if (op == UnaryOp.GELU || op == UnaryOp.GELU_DERIVATIVE) Checks.floatingPoint(name, x); // PyTorch refuses gelu of integers
            // PyTorch: exp(int64), sqrt(int64), ... are float32
            try (Tensor f = x.to(TypePromotion.DEFAULT_FLOAT)) {
                return unary(op, f);
            }
        }
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        Backends.forDevice(x.device()).unary(op, x.data(name), out.data(name));
        if (!differentiable(op)) return out;
        return Autograd.record(name, out, Derivatives.unary(op, x, out), x);
    }

    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = name(op);
        Checks.open(name, a, b);
        Device device = opDevice(name, a, b);
        int[] shape = Checks.broadcastShapes(name, a, b);
        DType common = TypePromotion.computeType(op, TypePromotion.resultType(a, b));
        Tensor ca = operand(a, device, common), cb = operand(b, device, common);
        Tensor out = null;
        try {
            checkOperands(name, op, common, a, b, cb);
            out = Tensor.empty(op.isComparison() ? DType.BOOL : common, device, shape);
            Backends.forDevice(device).binary(op, Layouts.broadcastTo(ca.data(name), shape), Layouts.broadcastTo(cb.data(name), shape), out.data(name));
            if (op.isComparison()) return out;
            return Autograd.record(name, out, Derivatives.binary(op, ca, cb, out), ca, cb);
        } finally {
            closeCasts(out != null && Derivatives.binarySavesOperands(op) ? out : null, a, ca, b, cb);
        }
    }

    /**
     * The device an op on a and b runs on: theirs, or, as PyTorch allows, the other operand's when
     * one is a 0-d CPU tensor (a scalar: {@code cudaX.add(Tensor.scalar(1))}); operands on two
     * devices otherwise are refused, naming both.
     */
    static Device opDevice(String op, Tensor a, Tensor b) {
        if (a.device().equals(b.device()) || isCpuScalar(b)) return a.device();
        if (isCpuScalar(a)) return b.device();
        Checks.sameDevice(op, a, b);
        return a.device();
    }

    static boolean isCpuScalar(Tensor t) {
        return t.dim() == 0 && t.device().isCpu();
    }

    /**
     * t on {@code device} in {@code dtype}: t itself when it is both already (no copy), else a
     * private copy (a CPU scalar moved, a promoted dtype), differentiable like t.
     */
    static Tensor operand(Tensor t, Device device, DType dtype) {
        if (t.device().equals(device)) return t.to(dtype); // PyTorch's type promotion; no copy when the dtype is already common
        Tensor moved = t.to(device);
        if (moved.dtype() == dtype) return moved;
        try {
            return moved.to(dtype);
        } finally {
            moved.close(); // the cast's backward needs no values of it
        }
    }

    /**
     * Frees the promoted copies an op made of its operands, unless {@code saver} (the output, when
     * its backward rule reads operand values) has a backward node that keeps them; the graph's
     * scope frees them then. The caller's tensors are never closed.
     */
    private static void closeCasts(Tensor saver, Tensor a, Tensor ca, Tensor b, Tensor cb) {
        if (saver != null && saver.gradFn() != null) return;
        if (ca != a) ca.close();
        if (cb != b) cb.close();
    }

    /** a op value, with value an integer (PyTorch's Python int) held in a 0-d tensor only while computing. */
    public static Tensor binary(BinaryOp op, Tensor a, long value) {
        return binary(op, a, new Scalar.Int(value));
    }

    /** a op value, with value a float (PyTorch's Python float) held in a 0-d tensor only while computing. */
    public static Tensor binary(BinaryOp op, Tensor a, double value) {
        return binary(op, a, new Scalar.Float(value));
    }

    static Tensor binary(BinaryOp op, Tensor a, Scalar value) {
        String name = name(op);
        Checks.open(name, a);
        DType common = TypePromotion.computeType(op, TypePromotion.resultType(a, value.isFloat()));
        checkScalar(name, op, common, a, value);
        if (common == a.dtype()) return binaryInOwnDtype(name, op, a, value);
        Tensor ca = a.to(common); // e.g. ints.mul(0.5) or ints.div(2): computed in float32, as PyTorch does
        Tensor out = null;
        try {
            out = binaryInOwnDtype(name, op, ca, value);
            return out;
        } finally {
            closeCasts(out, a, ca, a, a);
        }
    }

    /** a op value, computed in a's dtype (the checks done). */
    private static Tensor binaryInOwnDtype(String name, BinaryOp op, Tensor a, Scalar value) {
        Tensor out = Tensor.empty(op.isComparison() ? DType.BOOL : a.dtype(), a.device(), a.shape());
        try (Tensor s = scalarOperand(op, a, value)) {
            Backends.forDevice(a.device()).binary(op, a.data(name), Layouts.broadcastTo(s.data(name), a.shape()), out.data(name));
        }
        if (op.isComparison()) return out;
        return Autograd.record(name, out, Derivatives.binaryScalar(op, a, value.doubleValue(), out), a);
    }

    /**
     * PyTorch's refusals for a op b computed in {@code common}: bool operands ({@link #checkBool})
     * and the rounding divisions' ({@link #checkRoundingDivision}); {@code divisor} is b as the
     * op reads it (moved and cast). The out-of-place and in-place paths both check through here.
     */
    static void checkOperands(String name, BinaryOp op, DType common, Tensor a, Tensor b, Tensor divisor) {
        checkBool(name, op, common, a.dtype() == DType.BOOL || b.dtype() == DType.BOOL, a.describe() + " and " + b.describe());
        if (op.isRoundingDivision()) checkRoundingDivision(name, common, a, b, divisor);
    }

    /**
     * PyTorch's refusals for a op value computed in {@code common}: bool tensors, an integer
     * division by the scalar 0, and an integer tensor raised to a negative integer power. (A
     * scalar never makes {@code common} bool: a bool tensor meets an int as int64.)
     */
    static void checkScalar(String name, BinaryOp op, DType common, Tensor a, Scalar value) {
        checkBool(name, op, common, a.dtype() == DType.BOOL, a.describe() + " and " + value);
        if (op.isRoundingDivision() && !common.isFloatingPoint() && value.doubleValue() == 0)
            throw zeroDivisor(name, a.describe(), "the scalar 0");
        if (op == BinaryOp.POW && !common.isFloatingPoint() && value.doubleValue() < 0)
            throw new IllegalArgumentException(name + ": integers to negative integer powers are not allowed (as in PyTorch): "
                    + a.describe() + " to " + value + "; convert the tensor to a float dtype first");
    }

    /** PyTorch refuses negation, abs and relu of bool tensors; sign, step and the float functions are defined. */
    private static void checkBool(String name, UnaryOp op, Tensor x) {
        String why = switch (op) {
            case NEG -> "negation of a bool tensor is not supported; to invert a mask use logicalNot()";
            case ABS, RELU -> "not implemented for bool tensors";
            default -> null;
        };
        if (why != null) throw new IllegalArgumentException(name + ": " + why + " (as in PyTorch), got " + x.describe());
    }

    /**
     * PyTorch's refusals for bool operands: subtraction with any bool operand, and pow computed in
     * bool. {@code anyBool}: an operand is a bool tensor; {@code common}: the dtype op computes in.
     */
    private static void checkBool(String name, BinaryOp op, DType common, boolean anyBool, String operands) {
        if (op == BinaryOp.SUB && anyBool)
            throw new IllegalArgumentException(name + ": subtraction with a bool tensor is not supported (as in PyTorch), got " + operands
                    + "; use logicalXor() for two masks, logicalNot() to invert one");
        if (op == BinaryOp.POW && common == DType.BOOL)
            throw new IllegalArgumentException(name + ": not implemented for bool tensors (as in PyTorch), got " + operands);
    }

    /**
     * PyTorch's rules for the rounding divisions: no bool operands, and no integer division by
     * zero, which PyTorch's CPU kernels raise as ZeroDivisionError. The divisor is checked only on
     * the CPU: on a GPU the check would wait for the device, and PyTorch's CUDA kernels do not
     * check either (ddp4j's give 0).
     */
    private static void checkRoundingDivision(String name, DType common, Tensor a, Tensor b, Tensor divisor) {
        if (common == DType.BOOL) throw new IllegalArgumentException(name + ": not defined for bool tensors (as in PyTorch), got " + a.describe() + " and " + b.describe());
        if (common.isFloatingPoint() || !divisor.device().isCpu()) return;
        try (GradMode.Guard g = GradMode.noGrad(); Tensor zeros = divisor.eq(0L); Tensor count = zeros.sum()) {
            if (count.item() > 0) throw zeroDivisor(name, a.describe(), b.describe() + " (" + (long) count.item() + " zero(s))");
        }
    }


    private static ArithmeticException zeroDivisor(String name, String dividend, String divisor) {
        return new ArithmeticException(name + ": integer division by zero (PyTorch's ZeroDivisionError): " + dividend + " divided by " + divisor);
    }

    /**
     * The 0-d tensor that carries a scalar into {@code a op value}: a's dtype, except that float16
     * and bfloat16 tensors meet add, sub, mul and div scalars (rounded divisions included) as
     * float32, unrounded: PyTorch computes those in float with the scalar as given (its "opmath"
     * scalar paths, on the CPU since 2.x and always on CUDA), so bf16 x * 0.1 is x * 0.1f rounded
     * once, not x * bf16(0.1). Outside any scope (callers close it).
     */
    static Tensor scalarOperand(BinaryOp op, Tensor a, Scalar value) {
        boolean opmath = (a.dtype() == DType.F16 || a.dtype() == DType.BF16) && switch (op) {
            case ADD, SUB, MUL, DIV, DIV_TRUNC, DIV_FLOOR -> true;
            default -> false;
        };
        return value.tensor(opmath ? DType.F32 : a.dtype(), a.device());
    }

    /** A 0-d tensor with a's dtype and device, outside any scope (callers close it). */
    static Tensor scalarLike(Tensor a, double value) {
        return new Scalar.Float(value).tensor(a.dtype(), a.device());
    }

    public static Tensor where(Tensor cond, Tensor a, Tensor b) {
        Checks.open("where", cond, a, b);
        if (cond.dtype() != DType.BOOL) throw new IllegalArgumentException("where: the condition must be bool, got " + cond.describe());
        Device device = opDevice("where", a, b);
        if (!cond.device().equals(device) && !isCpuScalar(cond)) Checks.sameDevice("where", cond, a.device().equals(device) ? a : b);
        int[] shape = Checks.broadcastShapes("where", Checks.broadcastShapes("where", cond.shape(), a.shape()), b.shape());
        DType common = TypePromotion.resultType(a, b);
        Tensor cc = operand(cond, device, DType.BOOL), ca = operand(a, device, common), cb = operand(b, device, common);
        Tensor out = null;
        try {
            out = Tensor.empty(common, device, shape);
            Backends.forDevice(device).where(Layouts.broadcastTo(cc.data("where"), shape), Layouts.broadcastTo(ca.data("where"), shape),
                    Layouts.broadcastTo(cb.data("where"), shape), out.data("where"));
            return Autograd.record("where", out, Derivatives.where(cc, ca, cb), ca, cb);
        } finally {
            closeCasts(null, a, ca, b, cb); // where's backward keeps only their shapes
            if (cc != cond) cc.close();
        }
    }

    /** clamp with Python float bounds: an integer tensor is clamped in float32, PyTorch's result type. */
    public static Tensor clamp(Tensor x, double min, double max) {
        return clamp(x, new Scalar.Float(min), new Scalar.Float(max));
    }

    /** clamp with Python int bounds: the tensor keeps its dtype, and int64 bounds are exact. */
    public static Tensor clamp(Tensor x, long min, long max) {
        return clamp(x, new Scalar.Int(min), new Scalar.Int(max));
    }

    private static Tensor clamp(Tensor x, Scalar min, Scalar max) {
        Checks.open("clamp", x);
        boolean inverted = min instanceof Scalar.Int lo && max instanceof Scalar.Int hi ? lo.value() > hi.value() : min.doubleValue() > max.doubleValue();
        if (inverted) throw new IllegalArgumentException("clamp: the lower bound (" + min + ") is greater than the upper bound (" + max + ") for " + x.describe());
        DType common = TypePromotion.resultType(x, min.isFloat() || max.isFloat());
        if (common != x.dtype()) { // float bounds meet integers: PyTorch clamps in float32
            try (Tensor f = x.to(common)) {
                return clamp(f, min, max);
            }
        }
        Backend backend = Backends.forDevice(x.device());
        Tensor out = Tensor.empty(x.dtype(), x.device(), x.shape());
        try (Tensor lo = min.tensor(x.dtype(), x.device()); Tensor hi = max.tensor(x.dtype(), x.device())) {
            TensorData o = out.data("clamp");
            backend.binary(BinaryOp.MAXIMUM, x.data("clamp"), Layouts.broadcastTo(lo.data("clamp"), x.shape()), o);
            backend.binary(BinaryOp.MINIMUM, o, Layouts.broadcastTo(hi.data("clamp"), x.shape()), o);
        }
        return Autograd.record("clamp", out, Derivatives.clamp(x, min.doubleValue(), max.doubleValue()), x);
    }

}
