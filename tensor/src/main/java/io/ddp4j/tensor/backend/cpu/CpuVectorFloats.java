package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.UnaryOp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link CpuFloatLane}'s kernels on the Vector API, one row at a time: each lane gives the bits
 * the double-based reference gives (see {@link CpuFloatLane} for why). Every select is written as the reference writes it, so NaN and
 * -0 go where they go there: relu is {@code x < 0 ? 0 : x}, maximum {@code isNaN(x) || x >= y ? x : y}.
 *
 * <p>Only {@link CpuFloatLane}, after {@link CpuVectorSupport#enabled()}, may load this class: it
 * refers to {@code jdk.incubator.vector}, which a JVM resolves only when started with
 * {@code --add-modules jdk.incubator.vector}.
 */
final class CpuVectorFloats {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    private CpuVectorFloats() {}

    /** out[outOff .. outOff + len) = op(x), x dense from xOff, or its one value at xOff when uniform. */
    static void unary(UnaryOp op, MemorySegment x, long xOff, boolean xUniform, MemorySegment out, long outOff, int len) {
        checkRange(x, xOff, xUniform ? 1 : len);
        checkRange(out, outOff, len);
        int i = 0, bound = S.loopBound(len);
        if (xUniform) {
            float value = unary(op, x.getAtIndex(F, xOff));
            FloatVector v = FloatVector.broadcast(S, value);
            for (; i < bound; i += L) v.intoMemorySegment(out, (outOff + i) * 4, LE);
            for (; i < len; i++) out.setAtIndex(F, outOff + i, value);
            return;
        }
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * 4, LE);
            unary(op, v).intoMemorySegment(out, (outOff + i) * 4, LE);
        }
        for (; i < len; i++) out.setAtIndex(F, outOff + i, unary(op, x.getAtIndex(F, xOff + i)));
    }

    /** out[outOff .. outOff + len) = a op b, each operand dense from its offset, or its one value there when uniform. */
    static void binary(BinaryOp op, MemorySegment a, long aOff, boolean aUniform, MemorySegment b, long bOff, boolean bUniform,
                       MemorySegment out, long outOff, int len) {
        checkRange(a, aOff, aUniform ? 1 : len);
        checkRange(b, bOff, bUniform ? 1 : len);
        checkRange(out, outOff, len);
        // a single value is read once, before anything is written
        float aValue = aUniform ? a.getAtIndex(F, aOff) : 0, bValue = bUniform ? b.getAtIndex(F, bOff) : 0;
        FloatVector aBroadcast = FloatVector.broadcast(S, aValue), bBroadcast = FloatVector.broadcast(S, bValue);
        int i = 0, bound = S.loopBound(len);
        for (; i < bound; i += L) {
            FloatVector va = aUniform ? aBroadcast : FloatVector.fromMemorySegment(S, a, (aOff + i) * 4, LE);
            FloatVector vb = bUniform ? bBroadcast : FloatVector.fromMemorySegment(S, b, (bOff + i) * 4, LE);
            binary(op, va, vb).intoMemorySegment(out, (outOff + i) * 4, LE);
        }
        for (; i < len; i++) {
            float va = aUniform ? aValue : a.getAtIndex(F, aOff + i), vb = bUniform ? bValue : b.getAtIndex(F, bOff + i);
            out.setAtIndex(F, outOff + i, binary(op, va, vb));
        }
    }

    private static FloatVector unary(UnaryOp op, FloatVector v) {
        return switch (op) {
            case NEG -> v.neg();
            case ABS -> v.abs();
            case SQRT -> v.sqrt();
            case RELU -> v.blend(0f, v.compare(VectorOperators.LT, 0f));
            case STEP -> FloatVector.broadcast(S, 1f).blend(0f, v.compare(VectorOperators.LE, 0f));
            default -> throw new IllegalArgumentException("no float32 kernel for " + op);
        };
    }

    private static float unary(UnaryOp op, float v) {
        return switch (op) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case SQRT -> (float) Math.sqrt(v);
            case RELU -> v < 0 ? 0f : v;
            case STEP -> v <= 0 ? 0f : 1f;
            default -> throw new IllegalArgumentException("no float32 kernel for " + op);
        };
    }

    private static FloatVector binary(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case MAXIMUM -> b.blend(a, keepsA(a, b, VectorOperators.GE));
            case MINIMUM -> b.blend(a, keepsA(a, b, VectorOperators.LE));
            default -> throw new IllegalArgumentException("no float32 kernel for " + op);
        };
    }

    /** isNaN(a) || a cmp b, lane by lane. */
    private static VectorMask<Float> keepsA(FloatVector a, FloatVector b, VectorOperators.Comparison cmp) {
        return a.test(VectorOperators.IS_NAN).or(a.compare(cmp, b));
    }

    private static float binary(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAXIMUM -> Float.isNaN(a) || a >= b ? a : b;
            case MINIMUM -> Float.isNaN(a) || a <= b ? a : b;
            default -> throw new IllegalArgumentException("no float32 kernel for " + op);
        };
    }

    /** One bounds check for a run, before any access, so nothing is written when it fails. */
    private static void checkRange(MemorySegment s, long off, long n) {
        if (off < 0 || (off + n) * 4 > s.byteSize())
            throw new IndexOutOfBoundsException("float32 elements " + off + " to " + (off + n - 1) + " are outside a segment of "
                    + s.byteSize() + " bytes");
    }
}
