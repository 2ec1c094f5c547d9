package io.ddp4j.tensor.ops;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.autograd.Derivatives;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.PendingUpload;
import io.ddp4j.tensor.memory.CpuStorage;

import java.lang.foreign.MemorySegment;

/** Moving values between dtypes, devices and Java arrays. */
public final class Transfer {
    private Transfer() {}

    /** A converted copy; the tensor itself when it already has that dtype (like PyTorch's .to). */
    public static Tensor cast(Tensor t, DType target) {
        Checks.open("to", t);
        if (t.dtype() == target) return t;
        Tensor out = Tensor.empty(target, t.device(), t.shape());
        Backends.forDevice(t.device()).copy(t.data("to"), out.data("to"));
        if (!target.isFloatingPoint() || !t.dtype().isFloatingPoint()) return out;
        return Autograd.record("to_" + target, out, Derivatives.cast(t.dtype()), t);
    }

    /** A copy on another device; the tensor itself when it is already there. */
    public static Tensor toDevice(Tensor t, Device target) {
        Checks.open("to", t);
        Device source = t.device();
        if (source.equals(target)) return t;
        Tensor src = t.contiguous();
        Tensor out = Tensor.empty(t.dtype(), target, t.shape());
        try {
            if (source.isCpu()) {
                Backends.forDevice(target).fromHost(hostSegment(src), out.data("to"));
            } else if (target.isCpu()) {
                Backends.forDevice(source).toHost(src.data("to"), hostSegment(out));
            } else {
                try (Tensor staged = toDevice(src, Device.CPU)) {
                    Backends.forDevice(target).fromHost(hostSegment(staged), out.data("to"));
                }
            }
        } finally {
            if (src != t) src.close();
        }
        return Autograd.record("to_" + target, out, Derivatives.toDevice(source), t);
    }

    /**
     * A data loader's copy of a CPU tensor to {@code target}: started on the device's copy stream
     * and returned with its {@link PendingUpload}, which the consumer orders before its compute
     * work. No autograd (batches are inputs). The source may be closed once this returns.
     */
    public static DeviceCopy toDeviceAsync(Tensor t, Device target) {
        Checks.open("toDeviceAsync", t);
        if (!t.device().isCpu()) throw new IllegalArgumentException("toDeviceAsync copies from the CPU, got a tensor on " + t.device());
        if (target.isCpu()) return new DeviceCopy(t, PendingUpload.DONE);
        Tensor src = t.contiguous();
        Tensor out = Tensor.empty(t.dtype(), target, t.shape());
        try {
            return new DeviceCopy(out, Backends.forDevice(target).uploadAsync(hostSegment(src), out.data("toDeviceAsync")));
        } catch (RuntimeException e) {
            out.close();
            throw e;
        } finally {
            if (src != t) src.close();
        }
    }

    /** A tensor whose contents arrive by an upload still in flight. */
    public record DeviceCopy(Tensor tensor, PendingUpload upload) {}

    /** The dense bytes of a contiguous CPU tensor. */
    static MemorySegment hostSegment(Tensor t) {
        CpuStorage storage = (CpuStorage) t.storage();
        long size = t.dtype().byteSize();
        return storage.segment().asSlice(t.offset() * size, t.numel() * size);
    }

    /** Copies t, converted to {@code dtype}, into the host memory {@code dst}. */
    private static void read(String op, Tensor t, DType dtype, MemorySegment dst) {
        Checks.open(op, t);
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor converted = cast(t, dtype);
            Tensor dense = converted.contiguous();
            try {
                Backends.forDevice(t.device()).toHost(dense.data(op), dst);
            } finally {
                if (dense != converted) dense.close();
                if (converted != t) converted.close();
            }
        }
    }

    private static int length(String op, Tensor t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(op + ": " + t.describe() + " has too many elements for a Java array");
        return (int) n;
    }

    public static float[] toFloatArray(Tensor t) {
        float[] out = new float[length("toFloatArray", t)];
        read("toFloatArray", t, DType.F32, MemorySegment.ofArray(out));
        return out;
    }

    public static double[] toDoubleArray(Tensor t) {
        double[] out = new double[length("toDoubleArray", t)];
        read("toDoubleArray", t, DType.F64, MemorySegment.ofArray(out));
        return out;
    }

    public static long[] toLongArray(Tensor t) {
        long[] out = new long[length("toLongArray", t)];
        read("toLongArray", t, DType.I64, MemorySegment.ofArray(out));
        return out;
    }

    public static int[] toIntArray(Tensor t) {
        int[] out = new int[length("toIntArray", t)];
        read("toIntArray", t, DType.I32, MemorySegment.ofArray(out));
        return out;
    }

    public static boolean[] toBooleanArray(Tensor t) {
        byte[] bytes = new byte[length("toBooleanArray", t)];
        read("toBooleanArray", t, DType.BOOL, MemorySegment.ofArray(bytes));
        boolean[] out = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = bytes[i] != 0;
        return out;
    }

    public static double item(Tensor t) {
        checkOneElement("item", t);
        if (t.dtype() == DType.I64) return toLongArray(t)[0];
        return toDoubleArray(t)[0];
    }

    public static long longItem(Tensor t) {
        checkOneElement("longItem", t);
        if (t.dtype().isFloatingPoint())
            throw new IllegalArgumentException("longItem: " + t.describe() + " holds a float; use item(), or convert to an integer dtype first");
        return toLongArray(t)[0];
    }

    private static void checkOneElement(String name, Tensor t) {
        Checks.open(name, t);
        if (t.numel() != 1) throw new IllegalArgumentException(name + ": " + t.describe() + " has " + t.numel() + " elements, not one");
    }
}
