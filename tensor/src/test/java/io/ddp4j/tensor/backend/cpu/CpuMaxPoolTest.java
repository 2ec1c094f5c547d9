package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.TensorData;
import io.ddp4j.tensor.memory.CpuStorage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Max pooling picks, for every window, what PyTorch's rule picks: taps in order (rows, then
 * columns), a later tap wins when greater or NaN, so ties keep the first position and a NaN the
 * last NaN's. Checked on every geometry of small kernels, strides and padding, on planes narrower
 * and wider than a vector, with ties, zeros of both signs, infinities and NaN, against the rule
 * written out here; with the Vector API in use, its interior windows go through the vector kernel.
 */
class CpuMaxPoolTest {
    private static final Random RND = new Random(5);
    private static final double[] PICKS = {-1, 0, -0.0, 1, 2, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
    private final List<CpuStorage> storages = new ArrayList<>();

    @AfterEach
    void free() {
        storages.forEach(CpuStorage::release);
    }

    private TensorData tensor(DType type, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        CpuStorage s = CpuStorage.allocate(n * type.byteSize());
        storages.add(s);
        return new TensorData(s, type, shape, TensorData.contiguousStrides(shape), 0);
    }

    /** Mostly a few repeated values (ties everywhere), sometimes random ones. */
    private static double[] values(int n, boolean special) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = RND.nextInt(3) == 0 ? (float) RND.nextGaussian() : PICKS[RND.nextInt(special ? PICKS.length : 5)];
        }
        return v;
    }

    @Test
    void everyWindowPicksWhatPyTorchsRulePicks() {
        int checked = 0;
        for (int kernel = 1; kernel <= 3; kernel++)
            for (int stride = 1; stride <= 3; stride++)
                for (int pad = 0; pad <= kernel / 2; pad++)
                    for (int[] hw : new int[][]{{5, 4}, {7, 9}, {12, 40}, {28, 28}, {3, 67}})
                        for (boolean special : new boolean[]{false, true})
                            for (DType type : new DType[]{DType.F32, DType.F64}) {
                                Pool2dParams p = new Pool2dParams(kernel, kernel + (stride == 3 ? -kernel + 1 : 0), stride, stride, pad, 0);
                                if (p.kernelW() / 2 < p.padW()) continue;
                                check(type, 2, 3, hw[0], hw[1], p, special);
                                checked++;
                            }
        // rectangular kernels with uneven strides and padding in both directions
        check(DType.F32, 1, 2, 13, 50, new Pool2dParams(3, 2, 2, 3, 1, 1), true);
        check(DType.F32, 1, 2, 13, 50, new Pool2dParams(2, 3, 1, 2, 0, 1), true);
        org.junit.jupiter.api.Assertions.assertTrue(checked > 100);
    }

    private void check(DType type, int n, int c, int h, int w, Pool2dParams p, boolean special) {
        int oh = p.outH(h), ow = p.outW(w);
        if (oh <= 0 || ow <= 0) return;
        double[] x = values(n * c * h * w, special);
        TensorData xd = tensor(type, n, c, h, w), outd = tensor(type, n, c, oh, ow), idxd = tensor(DType.I64, n, c, oh, ow);
        CpuAccess.writeAll(x, xd);
        CpuAccess.read(xd, 0, x.length, x, 0); // the values as stored (rounded to float32)
        CpuPool2d.maxForward(xd, outd, idxd, p);
        double[] out = CpuAccess.readAll(outd), idx = CpuAccess.readAll(idxd);
        for (int plane = 0; plane < n * c; plane++)
            for (int y = 0; y < oh; y++)
                for (int z = 0; z < ow; z++) {
                    double best = 0;
                    int at = -1;
                    for (int i = 0; i < p.kernelH(); i++)
                        for (int j = 0; j < p.kernelW(); j++) {
                            int ih = y * p.strideH() - p.padH() + i, iw = z * p.strideW() - p.padW() + j;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = x[plane * h * w + ih * w + iw];
                            boolean wins = at < 0 || v > best || Double.isNaN(v);
                            if (wins) {
                                best = v;
                                at = ih * w + iw;
                            }
                        }
                    int k = plane * oh * ow + y * ow + z;
                    String where = type + " " + p + " on " + h + "x" + w + ", plane " + plane + " output (" + y + ", " + z + ")";
                    if (Double.doubleToLongBits(best) != Double.doubleToLongBits(out[k]) || at != idx[k])
                        throw new AssertionError(where + ": got " + out[k] + " at " + idx[k] + ", the rule picks " + best + " at " + at);
                }
    }
}
