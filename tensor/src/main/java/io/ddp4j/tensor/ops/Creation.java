package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.Arrays;

/** Factories: filled, ranges, random, and from Java arrays. */
public final class Creation {
    private Creation() {}

    public static Tensor full(double value, DType dtype, Device device, int... shape) {
        Tensor t = Tensor.empty(dtype, device, shape);
        Backends.forDevice(device).fill(t.data("full"), value);
        return t;
    }

    /**
     * An integer value, exact in every integer dtype (int64 above 2^53 included), wrapped into a
     * narrower one and rounded once into a float dtype, as C++ converts an int64.
     */
    public static Tensor full(long value, DType dtype, Device device, int... shape) {
        Tensor t = Tensor.empty(dtype, device, shape);
        Backends.forDevice(device).fillInteger(t.data("full"), value);
        return t;
    }

    public static Tensor arange(double start, double end, double step, DType dtype, Device device) {
        if (step == 0 || Double.isNaN(step)) throw new IllegalArgumentException("arange: step must be nonzero, got " + step);
        double count = Math.ceil((end - start) / step);
        if (!(count >= 0) || count > Integer.MAX_VALUE)
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + " and step " + step + " give " + count + " elements");
        double[] values = new double[(int) count];
        for (int i = 0; i < values.length; i++) values[i] = start + i * step;
        return fromDoubles(values, dtype, device, values.length);
    }

    /**
     * Integer start, end and step, computed in long: exact over int64's whole range (the double
     * form is exact only to 2^53), then converted to dtype (one rounding into a float dtype).
     */
    public static Tensor arange(long start, long end, long step, DType dtype, Device device) {
        if (step == 0) throw new IllegalArgumentException("arange: step must be nonzero, got 0");
        // end - start may not fit in a long (arange(MIN_VALUE, MAX_VALUE, 1L << 62) has 4 elements)
        BigInteger count = ceilDiv(BigInteger.valueOf(end).subtract(BigInteger.valueOf(start)), BigInteger.valueOf(step));
        if (count.signum() < 0)
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + " and step " + step
                    + " are inconsistent (the step's sign must lead from start toward end)");
        if (count.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0)
            throw new IllegalArgumentException("arange: start " + start + ", end " + end + " and step " + step + " give " + count + " elements");
        long[] values = new long[count.intValueExact()];
        for (int i = 0; i < values.length; i++) values[i] = start + i * step;
        return placed(fromArray(values, values.length), dtype, device);
    }

    private static BigInteger ceilDiv(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        return qr[1].signum() != 0 && qr[1].signum() == b.signum() ? qr[0].add(BigInteger.ONE) : qr[0];
    }

    /** host (a new CPU tensor) converted to dtype and moved to device, the intermediates freed. */
    private static Tensor placed(Tensor host, DType dtype, Device device) {
        if (dtype == host.dtype() && device.isCpu()) return host;
        try (host) {
            Tensor cast = host.to(dtype);
            if (device.isCpu()) return cast;
            try (cast) {
                return cast.to(device);
            }
        }
    }

    /** Values given as doubles, stored in any dtype on any device. */
    public static Tensor fromDoubles(double[] values, DType dtype, Device device, int... shape) {
        return placed(fromArray(values, shape), dtype, device);
    }

    public static Tensor rand(Generator gen, DType dtype, Device device, int... shape) {
        Tensor t = Tensor.empty(dtype, device, shape);
        Checks.floatingPoint("rand", t);
        long n = t.numel();
        Backends.forDevice(device).uniform(t.data("rand"), gen.seed(), gen.reserve((n + 3) / 4));
        return t;
    }

    public static Tensor randn(Generator gen, DType dtype, Device device, int... shape) {
        Tensor t = Tensor.empty(dtype, device, shape);
        Checks.floatingPoint("randn", t);
        long n = t.numel();
        Backends.forDevice(device).normal(t.data("randn"), gen.seed(), gen.reserve((n + 1) / 2));
        return t;
    }

    private static Tensor fromHost(String op, MemorySegment values, long count, DType dtype, int[] shape) {
        long numel = Layouts.numel(Checks.shape(op, shape));
        if (numel != count)
            throw new IllegalArgumentException(op + ": " + count + " values do not fill shape " + Arrays.toString(shape) + " (" + numel + " elements)");
        Tensor t = Tensor.empty(dtype, Device.CPU, shape);
        Backends.forDevice(Device.CPU).fromHost(values, t.data(op));
        return t;
    }

    /** A shape of just the length when none is given. */
    private static int[] orLength(int[] shape, int length) {
        return shape.length == 0 ? new int[]{length} : shape;
    }

    public static Tensor fromArray(float[] v, int... shape) {
        return fromHost("fromArray", MemorySegment.ofArray(v), v.length, DType.F32, orLength(shape, v.length));
    }

    public static Tensor fromArray(double[] v, int... shape) {
        return fromHost("fromArray", MemorySegment.ofArray(v), v.length, DType.F64, orLength(shape, v.length));
    }

    public static Tensor fromArray(int[] v, int... shape) {
        return fromHost("fromArray", MemorySegment.ofArray(v), v.length, DType.I32, orLength(shape, v.length));
    }

    public static Tensor fromArray(long[] v, int... shape) {
        return fromHost("fromArray", MemorySegment.ofArray(v), v.length, DType.I64, orLength(shape, v.length));
    }

    public static Tensor fromArray(boolean[] v, int... shape) {
        byte[] bytes = new byte[v.length];
        for (int i = 0; i < v.length; i++) bytes[i] = (byte) (v[i] ? 1 : 0);
        return fromHost("fromArray", MemorySegment.ofArray(bytes), v.length, DType.BOOL, orLength(shape, v.length));
    }
}
