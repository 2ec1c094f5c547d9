package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.CpuStorage;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cpu backend's fast paths give exactly what the plain definitions give: run-wise element
 * access against per-element reads and writes at computed offsets, on random non-contiguous
 * layouts of every dtype; the blocked matrix product against the in-order triple loop; the im2col
 * convolutions against the direct loops, bit for bit.
 */
class CpuFastPathTest {
    private static final Random RND = new Random(42);
    private final List<CpuStorage> storages = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void free() {
        storages.forEach(CpuStorage::release);
    }

    private TensorData alloc(DType type, long elements) {
        CpuStorage s = CpuStorage.allocate(elements * type.byteSize());
        storages.add(s);
        return new TensorData(s, type, new int[]{(int) elements}, new long[]{1}, 0);
    }

    /** A storage of random values of type, and a random strided view into it (permuted, sliced, broadcast). */
    private TensorData randomView(DType type, int rank) {
        int[] shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = 1 + RND.nextInt(5);
        return randomView(type, shape);
    }

    private TensorData randomView(DType type, int[] shape) {
        int rank = shape.length;
        // a larger parent whose dims are the view's in a random order, a random start in each dim
        int[] perm = permutation(rank);
        int[] parent = new int[rank];
        for (int d = 0; d < rank; d++) parent[perm[d]] = shape[d] + RND.nextInt(3);
        long[] parentStrides = TensorData.contiguousStrides(parent);
        long[] strides = new long[rank];
        long offset = 3;
        for (int d = 0; d < rank; d++) {
            int pd = perm[d];
            // the view's dim d walks the parent's dim pd, or is broadcast
            strides[d] = RND.nextInt(6) == 0 ? 0 : parentStrides[pd];
            offset += (long) RND.nextInt(parent[pd] - shape[d] + 1) * parentStrides[pd];
        }
        long total = 3;
        for (int p : parent) total *= p;
        total += 3;
        TensorData base = alloc(type, total);
        fillRandom(base);
        return base.withLayout(shape, strides, offset);
    }

    private static int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = RND.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static void fillRandom(TensorData t) {
        MemorySegment s = CpuAccess.segment(t);
        long n = s.byteSize() / t.dtype().byteSize();
        for (long i = 0; i < n; i++) {
            double v = switch (t.dtype()) {
                case F32, F64, F16, BF16 -> RND.nextGaussian() * 10;
                case I32 -> RND.nextInt();
                case I64 -> RND.nextLong() >> 12;
                case U8 -> RND.nextInt(256);
                case BOOL -> RND.nextInt(2);
            };
            CpuAccess.set(s, t.dtype(), i, v);
        }
    }

    /** Element offset of logical index i, computed from scratch. */
    private static long offsetOf(TensorData t, long i) {
        long off = t.offset();
        int[] shape = t.shape();
        for (int d = shape.length - 1; d >= 0; d--) {
            off += (i % shape[d]) * t.strides()[d];
            i /= shape[d];
        }
        return off;
    }

    private static double[] readReference(TensorData t, long start, int count) {
        MemorySegment s = CpuAccess.segment(t);
        double[] out = new double[count];
        for (int k = 0; k < count; k++) out[k] = CpuAccess.get(s, t.dtype(), offsetOf(t, start + k));
        return out;
    }

    @Test
    void runWiseReadsMatchPerElementReadsForEveryDtype() {
        for (DType type : DType.values())
            for (int trial = 0; trial < 60; trial++) {
                TensorData v = randomView(type, trial % 5);
                int n = (int) v.numel();
                assertArrayEquals(readReference(v, 0, n), CpuAccess.readAll(v), 0, type + " readAll " + v + " " + java.util.Arrays.toString(v.strides()));
                if (n > 2) {
                    int start = RND.nextInt(n - 1), count = 1 + RND.nextInt(n - start - 1);
                    double[] got = new double[count + 2];
                    CpuAccess.read(v, start, count, got, 1);
                    assertArrayEquals(readReference(v, start, count), java.util.Arrays.copyOfRange(got, 1, count + 1), 0, type + " read " + v);
                }
            }
    }

    @Test
    void transposedMatricesAreReadInTilesCorrectly() {
        for (DType type : DType.values()) {
            int rows = 70 + RND.nextInt(10), cols = 65 + RND.nextInt(10), batch = 3;
            TensorData base = alloc(type, (long) batch * rows * cols + 5);
            fillRandom(base);
            // [batch, rows, cols] over memory laid out as [batch, cols, rows]
            TensorData t = base.withLayout(new int[]{batch, rows, cols}, new long[]{(long) rows * cols, 1, rows}, 5);
            assertArrayEquals(readReference(t, 0, (int) t.numel()), CpuAccess.readAll(t), 0, type.toString());
        }
    }

    @Test
    void runWiseWritesMatchPerElementWritesForEveryDtype() {
        for (DType type : DType.values())
            for (int trial = 0; trial < 60; trial++) {
                TensorData v = randomView(type, trial % 5);
                // writes into a broadcast view are ill-defined: use a view with no zero strides
                long[] strides = v.strides().clone();
                boolean broadcast = false;
                for (long s : strides) broadcast |= s == 0;
                if (broadcast) continue;
                int n = (int) v.numel();
                double[] values = new double[n];
                TensorData source = alloc(type, Math.max(1, n));
                fillRandom(source);
                CpuAccess.read(source, 0, n, values, 0);
                TensorData twin = alloc(type, CpuAccess.segment(v).byteSize() / type.byteSize());
                MemorySegment.copy(CpuAccess.segment(v), 0, CpuAccess.segment(twin), 0, CpuAccess.segment(v).byteSize());
                TensorData twinView = twin.withLayout(v.shape(), v.strides(), v.offset());
                CpuAccess.write(values, 0, v, 0, n);
                MemorySegment ts = CpuAccess.segment(twinView);
                for (int k = 0; k < n; k++) CpuAccess.set(ts, type, offsetOf(twinView, k), values[k]);
                assertEquals(-1, CpuAccess.segment(v).mismatch(ts), type + " write " + v);
            }
    }

    private static boolean broadcasts(TensorData t) {
        for (int d = 0; d < t.rank(); d++) if (t.strides()[d] == 0 && t.shape()[d] > 1) return true;
        return false;
    }

    @Test
    void sameDtypeCopiesMoveTheBitsOfEveryElement() {
        for (DType type : DType.values())
            for (int trial = 0; trial < 60; trial++) {
                TensorData src = randomView(type, trial % 5);
                int[] shape = src.shape();
                int n = (int) src.numel();
                // into a dense output, into a permuted view of the same shape, and a view into a dense source
                TensorData dense = alloc(type, Math.max(1, n)).withLayout(shape, TensorData.contiguousStrides(shape), 0);
                CpuBackend.INSTANCE.copy(src, dense);
                MemorySegment ss = CpuAccess.segment(src), ds = CpuAccess.segment(dense);
                int size = type.byteSize();
                for (int k = 0; k < n; k++)
                    assertEquals(CpuAccess.getRaw(ss, size, offsetOf(src, k)), CpuAccess.getRaw(ds, size, k), type + " into dense " + src);
                TensorData view = randomView(type, shape);
                if (broadcasts(view)) continue;
                CpuBackend.INSTANCE.copy(src, view);
                MemorySegment vs = CpuAccess.segment(view);
                for (int k = 0; k < n; k++)
                    assertEquals(CpuAccess.getRaw(ss, size, offsetOf(src, k)), CpuAccess.getRaw(vs, size, offsetOf(view, k)), type + " into view " + view);
                TensorData back = randomView(type, shape);
                if (broadcasts(back)) continue;
                CpuBackend.INSTANCE.copy(dense, back);
                MemorySegment bs = CpuAccess.segment(back);
                for (int k = 0; k < n; k++)
                    assertEquals(CpuAccess.getRaw(ds, size, k), CpuAccess.getRaw(bs, size, offsetOf(back, k)), type + " from dense into " + back);
            }
    }

    private static double[] randomDoubles(int n, DType type) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = type == DType.F32 ? (float) RND.nextGaussian() : RND.nextGaussian();
        return a;
    }

    private TensorData tensorOf(DType type, double[] values, int... shape) {
        TensorData t = alloc(type, values.length);
        CpuAccess.writeAll(values, t);
        return t.withLayout(shape, TensorData.contiguousStrides(shape), 0);
    }

    @Test
    void blockedMatmulEqualsTheInOrderLoop() {
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 300, 10}, {5, 2, 600}, {33, 129, 257}};
        for (DType type : new DType[]{DType.F32, DType.F64})
            for (int[] sz : sizes) {
                int batch = 2, m = sz[0], k = sz[1], n = sz[2];
                double[] x = randomDoubles(batch * m * k, type), y = randomDoubles(k * n, type);
                TensorData a = tensorOf(type, x, batch, m, k);
                // b stored as [n, k] and seen transposed as [k, n], broadcast over the batch
                double[] yT = new double[k * n];
                for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) yT[j * k + p] = y[p * n + j];
                TensorData bT = tensorOf(type, yT, n, k);
                TensorData b = bT.withLayout(new int[]{batch, k, n}, new long[]{0, 1, k}, 0);
                TensorData out = alloc(type, (long) batch * m * n).withLayout(new int[]{batch, m, n}, TensorData.contiguousStrides(new int[]{batch, m, n}), 0);
                CpuMatmul.batched(a, b, out);
                double[] want = new double[batch * m * n];
                for (int bi = 0; bi < batch; bi++)
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) s += x[(bi * m + i) * k + p] * y[p * n + j];
                            want[(bi * m + i) * n + j] = type == DType.F32 ? (float) s : s;
                        }
                assertArrayEquals(want, CpuAccess.readAll(out), 0, type + " " + java.util.Arrays.toString(sz));
            }
    }

    private record ConvCase(int n, int c, int h, int w, int o, int kh, int kw, Conv2dParams p) {}

    private static final ConvCase[] CONVS = {
            new ConvCase(2, 3, 7, 6, 4, 3, 3, new Conv2dParams(1, 1, 1, 1, 1, 1, 1)),
            new ConvCase(3, 4, 9, 8, 6, 3, 2, new Conv2dParams(2, 1, 1, 0, 1, 2, 2)),
            new ConvCase(2, 2, 6, 7, 3, 2, 3, new Conv2dParams(1, 2, 2, 1, 2, 1, 1)),
            new ConvCase(1, 6, 10, 10, 6, 5, 5, new Conv2dParams(3, 3, 2, 2, 1, 1, 3)),
            new ConvCase(4, 1, 28, 28, 8, 3, 3, new Conv2dParams(1, 1, 1, 1, 1, 1, 1)),
            new ConvCase(2, 8, 5, 5, 4, 1, 1, new Conv2dParams(1, 1, 0, 0, 1, 1, 1)),
    };

    @Test
    void im2colConvolutionsEqualTheDirectLoopsBitForBit() {
        for (DType type : new DType[]{DType.F32, DType.F64})
            for (ConvCase cc : CONVS)
                for (int special = 0; special < 3; special++) {
                    Conv2dParams p = cc.p;
                    int oh = p.outH(cc.h, cc.kh), ow = p.outW(cc.w, cc.kw), cg = cc.c / p.groups();
                    double[] x = randomDoubles(cc.n * cc.c * cc.h * cc.w, type);
                    double[] w = randomDoubles(cc.o * cg * cc.kh * cc.kw, type);
                    double[] go = randomDoubles(cc.n * cc.o * oh * ow, type);
                    // non-finite weights and gradients take the direct path, and must still agree
                    if (special == 1) w[RND.nextInt(w.length)] = Double.NaN;
                    if (special == 2) {
                        w[0] = Double.POSITIVE_INFINITY;
                        go[RND.nextInt(go.length)] = Double.NEGATIVE_INFINITY;
                    }
                    TensorData xd = tensorOf(type, x, cc.n, cc.c, cc.h, cc.w), wd = tensorOf(type, w, cc.o, cg, cc.kh, cc.kw);
                    TensorData gd = tensorOf(type, go, cc.n, cc.o, oh, ow);
                    assertIm2colEqualsDirect(type, cc, xd, wd, gd, type + " " + cc + " special " + special);
                }
    }

    /** Forward and both backward passes of the im2col path against the direct loops on the same operands, bit for bit. */
    private void assertIm2colEqualsDirect(DType type, ConvCase cc, TensorData xd, TensorData wd, TensorData gd, String what) {
        Conv2dParams p = cc.p;
        int[] outShape = gd.shape(), wShape = wd.shape(), xShape = {cc.n, cc.c, cc.h, cc.w};
        TensorData out1 = zeros(type, outShape), out2 = zeros(type, outShape);
        CpuConv2d.forward(xd, wd, out1, p);
        CpuConv2d.forwardDirect(xd, wd, out2, p);
        assertBitsEqual(out2, out1, "forward " + what);

        TensorData gi1 = zeros(type, xShape), gi2 = zeros(type, xShape);
        CpuConv2d.backwardInput(gd, wd, gi1, p);
        CpuConv2d.backwardInputDirect(gd, wd, gi2, p);
        assertBitsEqual(gi2, gi1, "backward input " + what);

        TensorData gw1 = zeros(type, wShape), gw2 = zeros(type, wShape);
        CpuConv2d.backwardWeight(xd, gd, gw1, p);
        CpuConv2d.backwardWeightDirect(xd, gd, gw2, p);
        assertBitsEqual(gw2, gw1, "backward weight " + what);
    }

    private TensorData zeros(DType type, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return tensorOf(type, new double[(int) n], shape);
    }

    /** values (in NCHW order) stored channels-last and seen through an NCHW view, as a permuted tensor is. */
    private TensorData channelsLast(DType type, double[] values, int n, int c, int h, int w) {
        TensorData nhwc = alloc(type, values.length);
        TensorData view = nhwc.withLayout(new int[]{n, c, h, w}, new long[]{(long) h * w * c, 1, (long) w * c, c}, 0);
        CpuAccess.write(values, 0, view, 0, values.length);
        return view;
    }

    @Test
    void im2colConvolutionsReadStridedInputsAsTheDirectLoopsDo() {
        DType type = DType.F32;
        for (ConvCase cc : CONVS) {
            Conv2dParams p = cc.p;
            int oh = p.outH(cc.h, cc.kh), ow = p.outW(cc.w, cc.kw), cg = cc.c / p.groups();
            double[] x = randomDoubles(cc.n * cc.c * cc.h * cc.w, type), go = randomDoubles(cc.n * cc.o * oh * ow, type);
            TensorData xd = channelsLast(type, x, cc.n, cc.c, cc.h, cc.w);
            TensorData wd = tensorOf(type, randomDoubles(cc.o * cg * cc.kh * cc.kw, type), cc.o, cg, cc.kh, cc.kw);
            TensorData gd = channelsLast(type, go, cc.n, cc.o, oh, ow);
            assertIm2colEqualsDirect(type, cc, xd, wd, gd, "channels-last " + cc);
        }
    }

    @Test
    void zeroFillsWriteExactlyTheirWindowAndMinusZeroStaysMinusZero() {
        for (DType type : DType.values()) {
            TensorData buffer = alloc(type, 40);
            fillRandom(buffer);
            double[] before = new double[40];
            CpuAccess.read(buffer, 0, 40, before, 0);
            TensorData window = buffer.withLayout(new int[]{3, 10}, new long[]{10, 1}, 5);
            CpuBackend.INSTANCE.fillInteger(window, 0);
            double[] after = new double[40];
            CpuAccess.read(buffer, 0, 40, after, 0);
            for (int i = 0; i < 40; i++) {
                boolean inside = i >= 5 && i < 35;
                assertEquals(inside ? 0.0 : before[i], after[i], type + " element " + i + (inside ? " inside" : " outside") + " the window");
            }
            CpuBackend.INSTANCE.fill(window, 1.0);
            CpuBackend.INSTANCE.fill(window, 0.0);
            CpuAccess.read(buffer, 0, 40, after, 0);
            assertEquals(0.0, after[20], type + " after fill(0.0)");
            assertEquals(before[39], after[39], type + " past the window after fill(0.0)");
        }
        TensorData f = alloc(DType.F32, 8);
        CpuBackend.INSTANCE.fill(f, -0.0);
        assertEquals(Float.floatToRawIntBits(-0f), CpuAccess.segment(f).getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, 7), "fill(-0.0) keeps the sign");
        // a strided view is filled element by element: every other element only
        TensorData g = alloc(DType.F32, 8);
        CpuBackend.INSTANCE.fill(g, 2.0);
        CpuBackend.INSTANCE.fillInteger(g.withLayout(new int[]{4}, new long[]{2}, 0), 0);
        double[] got = new double[8];
        CpuAccess.read(g, 0, 8, got, 0);
        assertArrayEquals(new double[]{0, 2, 0, 2, 0, 2, 0, 2}, got);
    }

    private static void assertBitsEqual(TensorData want, TensorData got, String what) {
        long at = CpuAccess.segment(want).mismatch(CpuAccess.segment(got));
        assertEquals(-1, at, what + ": first difference at byte " + at);
    }
}
