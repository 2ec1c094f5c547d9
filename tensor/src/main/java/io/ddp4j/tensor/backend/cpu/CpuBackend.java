package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.backend.Backend;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.MultiTensorUpdates;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.ReduceOp;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.memory.CpuStorage;
import io.ddp4j.tensor.memory.Storage;

import java.lang.foreign.MemorySegment;

/**
 * The reference backend: plain Java over off-heap memory, elementwise work in blocks of
 * {@value #BLOCK} elements spread over {@link CpuParallel}, float arithmetic in double and
 * integer arithmetic in long ({@link CpuIntegers}).
 */
public final class CpuBackend implements Backend, MultiTensorUpdates {
    public static final CpuBackend INSTANCE = new CpuBackend();
    static final int BLOCK = 4096;

    private CpuBackend() {}

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(long byteSize) {
        return CpuStorage.allocate(byteSize);
    }

    @Override
    public void fromHost(MemorySegment src, TensorData dst) {
        copyRaw(hostView(src, dst.dtype(), dst.shape()), dst);
    }

    @Override
    public void toHost(TensorData src, MemorySegment dst) {
        copyRaw(src, hostView(dst, src.dtype(), src.shape()));
    }

    private static TensorData hostView(MemorySegment host, DType dtype, int[] shape) {
        CpuStorage wrapper = CpuStorage.borrow(host);
        return new TensorData(wrapper, dtype, shape, TensorData.contiguousStrides(shape), 0);
    }

    /**
     * Zeros a dense tensor as bytes and returns true (+0 of every dtype, and int 0 and false, are
     * all-zero bits), or returns false for a strided one. zeros() of a conv output's size through
     * the element loop cost about 2% of a CNN step.
     */
    private static boolean zeroDense(TensorData out) {
        if (!out.isContiguous()) return false;
        long size = out.dtype().byteSize();
        CpuAccess.segment(out).asSlice(out.offset() * size, out.numel() * size).fill((byte) 0);
        return true;
    }

    @Override
    public void fill(TensorData out, double value) {
        if (Double.doubleToRawLongBits(value) == 0 && zeroDense(out)) return;
        long n = out.numel();
        CpuParallel.forRange(n, 1 << 16, (from, to) -> {
            double[] buf = new double[(int) Math.min(BLOCK, to - from)];
            java.util.Arrays.fill(buf, value);
            for (long i = from; i < to; i += BLOCK) {
                int count = (int) Math.min(BLOCK, to - i);
                CpuAccess.write(buf, 0, out, i, count);
            }
        });
    }

    @Override
    public void fillInteger(TensorData out, long value) {
        if (value == 0 && zeroDense(out)) return;
        long n = out.numel();
        CpuParallel.forRange(n, 1 << 16, (from, to) -> {
            long[] buf = new long[(int) Math.min(BLOCK, to - from)];
            java.util.Arrays.fill(buf, value);
            for (long i = from; i < to; i += BLOCK) {
                int count = (int) Math.min(BLOCK, to - i);
                CpuAccess.writeLongs(buf, 0, out, i, count);
            }
        });
    }

    @Override
    public void copy(TensorData src, TensorData out) {
        if (src.dtype() == out.dtype()) copyRaw(src, out);
        else if (CpuIntegers.all(src.dtype())) mapLongs(out, new TensorData[]{src}, (in, res, count) -> System.arraycopy(in[0], 0, res, 0, count));
        else map(out, new TensorData[]{src}, (in, res, count) -> System.arraycopy(in[0], 0, res, 0, count));
    }

    /** Same-dtype copy of the bits themselves, so int64 values above 2^53 and NaN payloads survive. */
    private static void copyRaw(TensorData src, TensorData out) {
        MemorySegment s = CpuAccess.segment(src), d = CpuAccess.segment(out);
        int size = src.dtype().byteSize();
        if (src.isContiguous() && out.isContiguous()) {
            MemorySegment.copy(s, src.offset() * size, d, out.offset() * size, out.numel() * size);
            return;
        }
        if (out.isContiguous()) {
            // runs of the source into consecutive elements of the output
            CpuAccess.Runs l = CpuAccess.Runs.of(src);
            long stride = l.innerStride(), base = out.offset();
            CpuParallel.forRange(out.numel(), 1 << 15, (from, to) -> CpuAccess.forEachRun(l, from, (int) (to - from),
                    (off, pos, len) -> CpuAccess.copyRawRun(s, off, stride, d, base + from + pos, 1, len, size)));
            return;
        }
        if (src.isContiguous()) {
            CpuAccess.Runs l = CpuAccess.Runs.of(out);
            long stride = l.innerStride(), base = src.offset();
            CpuParallel.forRange(out.numel(), 1 << 15, (from, to) -> CpuAccess.forEachRun(l, from, (int) (to - from),
                    (off, pos, len) -> CpuAccess.copyRawRun(s, base + from + pos, 1, d, off, stride, len, size)));
            return;
        }
        CpuParallel.forRange(out.numel(), 1 << 15, (from, to) -> {
            CpuAccess.Cursor cs = new CpuAccess.Cursor(src, from), cd = new CpuAccess.Cursor(out, from);
            for (long i = from; i < to; i++) {
                CpuAccess.setRaw(d, size, cd.offset, CpuAccess.getRaw(s, size, cs.offset));
                cs.next();
                cd.next();
            }
        });
    }

    @FunctionalInterface
    private interface BlockKernel {
        /** Computes res[0..count) from the inputs' blocks in[k][0..count). */
        void apply(double[][] in, double[] res, int count);
    }

    /** Runs an elementwise kernel over out's elements, reading each input at the same logical index. */
    private static void map(TensorData out, TensorData[] inputs, BlockKernel kernel) {
        long n = out.numel();
        CpuParallel.forRange(n, 1 << 14, (from, to) -> {
            int cap = (int) Math.min(BLOCK, to - from);
            double[][] in = new double[inputs.length][cap];
            double[] res = new double[cap];
            for (long i = from; i < to; i += BLOCK) {
                int count = (int) Math.min(BLOCK, to - i);
                for (int k = 0; k < inputs.length; k++) CpuAccess.read(inputs[k], i, count, in[k], 0);
                kernel.apply(in, res, count);
                CpuAccess.write(res, 0, out, i, count);
            }
        });
    }

    @FunctionalInterface
    private interface LongBlockKernel {
        /** Computes res[0..count) from the inputs' blocks in[k][0..count), in the integer lane. */
        void apply(long[][] in, long[] res, int count);
    }

    /** {@link #map} in the integer lane: the inputs are integer or bool tensors, out any dtype. */
    private static void mapLongs(TensorData out, TensorData[] inputs, LongBlockKernel kernel) {
        long n = out.numel();
        CpuParallel.forRange(n, 1 << 14, (from, to) -> {
            int cap = (int) Math.min(BLOCK, to - from);
            long[][] in = new long[inputs.length][cap];
            long[] res = new long[cap];
            for (long i = from; i < to; i += BLOCK) {
                int count = (int) Math.min(BLOCK, to - i);
                for (int k = 0; k < inputs.length; k++) CpuAccess.readLongs(inputs[k], i, count, in[k], 0);
                kernel.apply(in, res, count);
                CpuAccess.writeLongs(res, 0, out, i, count);
            }
        });
    }

    @Override
    public void unary(UnaryOp op, TensorData x, TensorData out) {
        if (CpuIntegers.all(x.dtype()) && CpuIntegers.computes(op)) {
            mapLongs(out, new TensorData[]{x}, (in, r, count) -> CpuIntegers.unary(op, in[0], r, count));
            return;
        }
        if (CpuFloatLane.unary(op, x, out)) return;
        map(out, new TensorData[]{x}, (in, r, count) -> {
            double[] a = in[0];
            switch (op) {
                case NEG -> { for (int i = 0; i < count; i++) r[i] = -a[i]; }
                case EXP -> { for (int i = 0; i < count; i++) r[i] = Math.exp(a[i]); }
                case LOG -> { for (int i = 0; i < count; i++) r[i] = Math.log(a[i]); }
                case SQRT -> { for (int i = 0; i < count; i++) r[i] = Math.sqrt(a[i]); }
                case ABS -> { for (int i = 0; i < count; i++) r[i] = Math.abs(a[i]); }
                // NaN and -0 pass, as in PyTorch (a NaN that relu turned into 0 would hide a diverging model)
                case RELU -> { for (int i = 0; i < count; i++) r[i] = a[i] < 0 ? 0 : a[i]; }
                case SIGMOID -> { for (int i = 0; i < count; i++) r[i] = CpuMath.sigmoid(a[i]); }
                case TANH -> { for (int i = 0; i < count; i++) r[i] = Math.tanh(a[i]); }
                case GELU -> { for (int i = 0; i < count; i++) r[i] = CpuMath.gelu(a[i]); }
                case GELU_DERIVATIVE -> { for (int i = 0; i < count; i++) r[i] = CpuMath.geluDerivative(a[i]); }
                // relu's derivative mask, PyTorch's threshold_backward: 0 only where x <= 0, so NaN passes
                case STEP -> { for (int i = 0; i < count; i++) r[i] = a[i] <= 0 ? 0 : 1; }
                // PyTorch's (0 < x) - (x < 0): +0 for both zeros and for NaN (abs's gradient there is 0)
                case SIGN -> { for (int i = 0; i < count; i++) r[i] = (a[i] > 0 ? 1 : 0) - (a[i] < 0 ? 1 : 0); }
            }
        });
    }

    @Override
    public void binary(BinaryOp op, TensorData a, TensorData b, TensorData out) {
        if (CpuIntegers.all(a.dtype(), b.dtype()) && CpuIntegers.computes(op)) {
            mapLongs(out, new TensorData[]{a, b}, (in, r, count) -> CpuIntegers.binary(op, in[0], in[1], r, count));
            return;
        }
        if (CpuFloatLane.binary(op, a, b, out)) return;
        map(out, new TensorData[]{a, b}, (in, r, count) -> {
            double[] x = in[0], y = in[1];
            switch (op) {
                case ADD -> { for (int i = 0; i < count; i++) r[i] = x[i] + y[i]; }
                case SUB -> { for (int i = 0; i < count; i++) r[i] = x[i] - y[i]; }
                case MUL -> { for (int i = 0; i < count; i++) r[i] = x[i] * y[i]; }
                case DIV -> { for (int i = 0; i < count; i++) r[i] = x[i] / y[i]; }
                case POW -> { for (int i = 0; i < count; i++) r[i] = Math.pow(x[i], y[i]); }
                case MAXIMUM -> { for (int i = 0; i < count; i++) r[i] = Double.isNaN(x[i]) || x[i] >= y[i] ? x[i] : y[i]; }
                case MINIMUM -> { for (int i = 0; i < count; i++) r[i] = Double.isNaN(x[i]) || x[i] <= y[i] ? x[i] : y[i]; }
                case EQ -> { for (int i = 0; i < count; i++) r[i] = x[i] == y[i] ? 1 : 0; }
                case NE -> { for (int i = 0; i < count; i++) r[i] = x[i] != y[i] ? 1 : 0; }
                case LT -> { for (int i = 0; i < count; i++) r[i] = x[i] < y[i] ? 1 : 0; }
                case GT -> { for (int i = 0; i < count; i++) r[i] = x[i] > y[i] ? 1 : 0; }
                case LE -> { for (int i = 0; i < count; i++) r[i] = x[i] <= y[i] ? 1 : 0; }
                case GE -> { for (int i = 0; i < count; i++) r[i] = x[i] >= y[i] ? 1 : 0; }
                case DIV_TRUNC, DIV_FLOOR, REMAINDER, FMOD -> CpuDivision.apply(op, CpuDivision.precision(a.dtype(), b.dtype()), x, y, r, count);
            }
        });
    }

    @Override
    public void where(TensorData cond, TensorData a, TensorData b, TensorData out) {
        if (CpuIntegers.all(cond.dtype(), a.dtype(), b.dtype())) {
            mapLongs(out, new TensorData[]{cond, a, b}, (in, r, count) -> {
                for (int i = 0; i < count; i++) r[i] = in[0][i] != 0 ? in[1][i] : in[2][i];
            });
            return;
        }
        map(out, new TensorData[]{cond, a, b}, (in, r, count) -> {
            for (int i = 0; i < count; i++) r[i] = in[0][i] != 0 ? in[1][i] : in[2][i];
        });
    }

    /** x's dims reordered so the reduced ones come last: each output element reads one dense run. */
    static TensorData reducedLast(TensorData x, int[] dims) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int d : dims) reduced[d] = true;
        int[] shape = new int[rank];
        long[] strides = new long[rank];
        int k = 0;
        for (int d = 0; d < rank; d++) if (!reduced[d]) { shape[k] = x.shape()[d]; strides[k++] = x.strides()[d]; }
        for (int d = 0; d < rank; d++) if (reduced[d]) { shape[k] = x.shape()[d]; strides[k++] = x.strides()[d]; }
        return x.withLayout(shape, strides, x.offset());
    }

    @Override
    public void reduce(ReduceOp op, TensorData x, int[] dims, TensorData out) {
        TensorData perm = reducedLast(x, dims);
        long m = out.numel();
        long r = m == 0 ? 0 : x.numel() / m;
        if (CpuIntegers.all(x.dtype()) && op != ReduceOp.MEAN) {
            reduceLongs(op, perm, r, out);
            return;
        }
        CpuParallel.forRange(m, Math.max(1, (1 << 15) / Math.max(1, r)), (from, to) -> {
            double[] buf = new double[(int) Math.min(BLOCK, Math.max(r, 1))];
            double[] res = new double[(int) (to - from)];
            for (long o = from; o < to; o++) {
                double acc = switch (op) {
                    case SUM, MEAN -> 0;
                    case MAX -> Double.NEGATIVE_INFINITY;
                    case MIN -> Double.POSITIVE_INFINITY;
                };
                for (long i = 0; i < r; i += BLOCK) {
                    int count = (int) Math.min(BLOCK, r - i);
                    CpuAccess.read(perm, o * r + i, count, buf, 0);
                    for (int j = 0; j < count; j++) {
                        double v = buf[j];
                        acc = switch (op) {
                            case SUM, MEAN -> acc + v;
                            case MAX -> (v > acc || Double.isNaN(v)) ? v : acc;
                            case MIN -> (v < acc || Double.isNaN(v)) ? v : acc;
                        };
                    }
                }
                res[(int) (o - from)] = op == ReduceOp.MEAN ? acc / r : acc;
            }
            CpuAccess.write(res, 0, out, from, res.length);
        });
    }

    /** Integer sums wrap at int64 as PyTorch's do; max and min are exact. */
    private static void reduceLongs(ReduceOp op, TensorData perm, long r, TensorData out) {
        CpuParallel.forRange(out.numel(), Math.max(1, (1 << 15) / Math.max(1, r)), (from, to) -> {
            long[] buf = new long[(int) Math.min(BLOCK, Math.max(r, 1))];
            long[] res = new long[(int) (to - from)];
            for (long o = from; o < to; o++) {
                long acc = switch (op) {
                    case SUM, MEAN -> 0;
                    case MAX -> Long.MIN_VALUE;
                    case MIN -> Long.MAX_VALUE;
                };
                for (long i = 0; i < r; i += BLOCK) {
                    int count = (int) Math.min(BLOCK, r - i);
                    CpuAccess.readLongs(perm, o * r + i, count, buf, 0);
                    for (int j = 0; j < count; j++) {
                        acc = switch (op) {
                            case SUM, MEAN -> acc + buf[j];
                            case MAX -> Math.max(acc, buf[j]);
                            case MIN -> Math.min(acc, buf[j]);
                        };
                    }
                }
                res[(int) (o - from)] = acc;
            }
            CpuAccess.writeLongs(res, 0, out, from, res.length);
        });
    }

    @Override
    public void argmax(TensorData x, int dim, TensorData out) {
        TensorData perm = reducedLast(x, new int[]{dim});
        int r = x.shape()[dim];
        if (CpuIntegers.all(x.dtype())) {
            argmaxLongs(perm, r, out);
            return;
        }
        CpuParallel.forRange(out.numel(), Math.max(1, (1 << 15) / Math.max(1, r)), (from, to) -> {
            double[] buf = new double[r];
            double[] res = new double[(int) (to - from)];
            for (long o = from; o < to; o++) {
                CpuAccess.read(perm, o * r, r, buf, 0);
                int best = 0;
                for (int j = 1; j < r; j++) if (buf[j] > buf[best] || (Double.isNaN(buf[j]) && !Double.isNaN(buf[best]))) best = j;
                res[(int) (o - from)] = best;
            }
            CpuAccess.write(res, 0, out, from, res.length);
        });
    }

    /** The first maximum of each row of an integer tensor, compared exactly. */
    private static void argmaxLongs(TensorData perm, int r, TensorData out) {
        CpuParallel.forRange(out.numel(), Math.max(1, (1 << 15) / Math.max(1, r)), (from, to) -> {
            long[] buf = new long[r];
            long[] res = new long[(int) (to - from)];
            for (long o = from; o < to; o++) {
                CpuAccess.readLongs(perm, o * r, r, buf, 0);
                int best = 0;
                for (int j = 1; j < r; j++) if (buf[j] > buf[best]) best = j;
                res[(int) (o - from)] = best;
            }
            CpuAccess.writeLongs(res, 0, out, from, res.length);
        });
    }

    @Override
    public void matmul(TensorData a, TensorData b, TensorData out) {
        CpuMatmul.batched(a, b, out);
    }

    @Override
    public void conv2d(TensorData x, TensorData weight, TensorData out, Conv2dParams p) {
        CpuConv2d.forward(x, weight, out, p);
    }

    @Override
    public void conv2dBackwardInput(TensorData gradOut, TensorData weight, TensorData gradIn, Conv2dParams p) {
        CpuConv2d.backwardInput(gradOut, weight, gradIn, p);
    }

    @Override
    public void conv2dBackwardWeight(TensorData x, TensorData gradOut, TensorData gradWeight, Conv2dParams p) {
        CpuConv2d.backwardWeight(x, gradOut, gradWeight, p);
    }

    @Override
    public void maxPool2d(TensorData x, TensorData out, TensorData indices, Pool2dParams p) {
        CpuPool2d.maxForward(x, out, indices, p);
    }

    @Override
    public void maxPool2dBackward(TensorData gradOut, TensorData indices, TensorData gradIn, Pool2dParams p) {
        CpuPool2d.maxBackward(gradOut, indices, gradIn, p);
    }

    @Override
    public void avgPool2d(TensorData x, TensorData out, Pool2dParams p) {
        CpuPool2d.avgForward(x, out, p);
    }

    @Override
    public void avgPool2dBackward(TensorData gradOut, TensorData gradIn, Pool2dParams p) {
        CpuPool2d.avgBackward(gradOut, gradIn, p);
    }

    @Override
    public void crossEntropy(TensorData logits, TensorData targets, double smoothing, TensorData loss, TensorData probs) {
        CpuLosses.crossEntropy(logits, targets, smoothing, loss, probs);
    }

    @Override
    public void crossEntropyBackward(TensorData probs, TensorData targets, double smoothing, TensorData gradLoss, TensorData gradLogits) {
        CpuLosses.crossEntropyBackward(probs, targets, smoothing, gradLoss, gradLogits);
    }

    @Override
    public void indexSelect(TensorData x, int dim, TensorData index, TensorData out) {
        CpuIndexing.indexSelect(x, dim, index, out);
    }

    @Override
    public void indexAdd(TensorData out, int dim, TensorData index, TensorData src) {
        CpuIndexing.indexAdd(out, dim, index, src);
    }

    /** Significand bits a uniform sample may use so that it stays below 1 in {@code type}. */
    private static int unitBits(DType type) {
        return switch (type) {
            case F64 -> 32;
            case F32 -> 24;
            case F16 -> 11;
            case BF16 -> 8;
            default -> throw new IllegalArgumentException("random numbers need a floating-point dtype, got " + type);
        };
    }

    @Override
    public void uniform(TensorData out, long seed, long offset) {
        int bits = unitBits(out.dtype());
        long n = out.numel();
        CpuParallel.forRange((n + 3) / 4, 1 << 12, (from, to) -> {
            int[] block = new int[4];
            double[] res = new double[(int) Math.min((to - from) * 4, n - from * 4)];
            for (long c = from; c < to; c++) {
                Philox.block(offset + c, seed, block);
                for (int lane = 0; lane < 4; lane++) {
                    long i = c * 4 + lane;
                    if (i < n) res[(int) (i - from * 4)] = Philox.toUnit(block[lane], bits);
                }
            }
            CpuAccess.write(res, 0, out, from * 4, res.length);
        });
    }

    @Override
    public void normal(TensorData out, long seed, long offset) {
        unitBits(out.dtype());
        long n = out.numel();
        CpuParallel.forRange((n + 1) / 2, 1 << 12, (from, to) -> {
            int[] block = new int[4];
            double[] res = new double[(int) Math.min((to - from) * 2, n - from * 2)];
            for (long c = from; c < to; c++) {
                Philox.block(offset + c, seed, block);
                for (int k = 0; k < 2; k++) {
                    long i = c * 2 + k;
                    if (i >= n) break;
                    // u1 in (0, 1] so the log is finite
                    double u1 = ((block[2 * k] & 0xFFFFFFFFL) + 1) * 0x1.0p-32;
                    double u2 = Philox.toUnit(block[2 * k + 1], 32);
                    res[(int) (i - from * 2)] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
                }
            }
            CpuAccess.write(res, 0, out, from * 2, res.length);
        });
    }

    /** SGD and Adam (AdamW too): both one pass per parameter, bit for bit the per-tensor path. */
    @Override
    public boolean fuses(Kind kind) {
        return kind == Kind.SGD || kind == Kind.ADAM;
    }

    @Override
    public void multiTensorUpdate(Update update) {
        switch (update.kind()) {
            case SGD -> CpuFusedSgd.apply(update);
            case ADAM -> CpuFusedAdam.apply(update);
            default -> throw new UnsupportedOperationException("the cpu backend does not fuse " + update.kind() + " updates");
        }
    }
}
