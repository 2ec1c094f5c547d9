package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.TensorData;

/**
 * Max and average pooling, one task per (sample, channel) plane; each task reads its own plane, so
 * the conversion to doubles runs on every core and stays in cache.
 */
final class CpuPool2d {
    private CpuPool2d() {}

    static void maxForward(TensorData xd, TensorData outd, TensorData idxd, Pool2dParams p) {
        int[] xs = xd.shape(), os = outd.shape();
        int h = xs[2], w = xs[3], oh = os[2], ow = os[3];
        Windows windows = Windows.of(h, w, oh, ow, p);
        boolean vector = CpuVectorSupport.enabled();
        CpuParallel.forRange((long) xs[0] * xs[1], 1, (from, to) -> {
            double[] x = new double[h * w], out = new double[oh * ow], idx = new double[oh * ow];
            for (long plane = from; plane < to; plane++) {
                CpuAccess.read(xd, plane * h * w, h * w, x, 0);
                // the vector kernel takes whole vectors of interior windows; the scalar loop the rest
                int done = vector ? CpuVectorPool.maxInterior(x, w, p, windows, out, idx) : 0;
                for (int q = done; q < windows.interior.length; q++) maxWindow(x, h, w, p, windows.interior[q], ow, out, idx);
                for (int at : windows.border) maxWindow(x, h, w, p, at, ow, out, idx);
                CpuAccess.write(out, 0, outd, plane * oh * ow, oh * ow);
                CpuAccess.write(idx, 0, idxd, plane * oh * ow, oh * ow);
            }
        });
    }

    /**
     * A plane's output positions y * ow + z split into the windows with every tap inside the plane
     * (interior[q], its top-left tap at corner[q], also as a double in cornerValue[q]) and those
     * that reach into the padding (border).
     */
    record Windows(int[] interior, int[] corner, double[] cornerValue, int[] border) {
        static Windows of(int h, int w, int oh, int ow, Pool2dParams p) {
            int[] interior = new int[oh * ow], corner = new int[oh * ow], border = new int[oh * ow];
            int in = 0, out = 0;
            for (int y = 0; y < oh; y++)
                for (int z = 0; z < ow; z++) {
                    int top = y * p.strideH() - p.padH(), left = z * p.strideW() - p.padW();
                    if (top >= 0 && top + p.kernelH() <= h && left >= 0 && left + p.kernelW() <= w) {
                        interior[in] = y * ow + z;
                        corner[in++] = top * w + left;
                    } else {
                        border[out++] = y * ow + z;
                    }
                }
            double[] cornerValue = new double[in];
            for (int q = 0; q < in; q++) cornerValue[q] = corner[q];
            return new Windows(java.util.Arrays.copyOf(interior, in), java.util.Arrays.copyOf(corner, in), cornerValue,
                    java.util.Arrays.copyOf(border, out));
        }
    }

    /**
     * The window of output position at = y * ow + z: the first tap inside the plane starts it, and
     * a later one wins when greater or NaN (PyTorch's rule: ties keep the first position, a NaN
     * propagates); idx is the flat position of the winner.
     */
    private static void maxWindow(double[] x, int h, int w, Pool2dParams p, int at, int ow, double[] out, double[] idx) {
        int y = at / ow, z = at % ow;
        double best = Double.NEGATIVE_INFINITY;
        int where = -1;
        for (int i = 0; i < p.kernelH(); i++) {
            int ih = y * p.strideH() - p.padH() + i;
            if (ih < 0 || ih >= h) continue;
            for (int j = 0; j < p.kernelW(); j++) {
                int iw = z * p.strideW() - p.padW() + j;
                if (iw < 0 || iw >= w) continue;
                double v = x[ih * w + iw];
                if (where < 0 || v > best || Double.isNaN(v)) {
                    best = v;
                    where = ih * w + iw;
                }
            }
        }
        out[at] = best;
        idx[at] = where;
    }

    static void maxBackward(TensorData gd, TensorData idxd, TensorData gid, Pool2dParams p) {
        int[] is = gid.shape(), os = gd.shape();
        int inPlane = is[2] * is[3], outPlane = os[2] * os[3];
        CpuParallel.forRange((long) is[0] * is[1], 1, (from, to) -> {
            double[] acc = new double[inPlane], g = new double[outPlane], idx = new double[outPlane];
            for (long plane = from; plane < to; plane++) {
                java.util.Arrays.fill(acc, 0);
                CpuAccess.read(gd, plane * outPlane, outPlane, g, 0);
                CpuAccess.read(idxd, plane * outPlane, outPlane, idx, 0);
                for (int k = 0; k < outPlane; k++) acc[(int) idx[k]] += g[k];
                CpuAccess.write(acc, 0, gid, plane * inPlane, inPlane);
            }
        });
    }

    static void avgForward(TensorData xd, TensorData outd, Pool2dParams p) {
        int[] xs = xd.shape(), os = outd.shape();
        int h = xs[2], w = xs[3], oh = os[2], ow = os[3];
        double divisor = p.kernelH() * p.kernelW();
        CpuParallel.forRange((long) xs[0] * xs[1], 1, (from, to) -> {
            double[] x = new double[h * w], out = new double[oh * ow];
            for (long plane = from; plane < to; plane++) {
                CpuAccess.read(xd, plane * h * w, h * w, x, 0);
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double s = 0;
                        for (int i = 0; i < p.kernelH(); i++) {
                            int ih = y * p.strideH() - p.padH() + i;
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < p.kernelW(); j++) {
                                int iw = z * p.strideW() - p.padW() + j;
                                if (iw >= 0 && iw < w) s += x[ih * w + iw];
                            }
                        }
                        out[y * ow + z] = s / divisor;
                    }
                }
                CpuAccess.write(out, 0, outd, plane * oh * ow, oh * ow);
            }
        });
    }

    static void avgBackward(TensorData gd, TensorData gid, Pool2dParams p) {
        int[] is = gid.shape(), os = gd.shape();
        int h = is[2], w = is[3], oh = os[2], ow = os[3];
        double divisor = p.kernelH() * p.kernelW();
        CpuParallel.forRange((long) is[0] * is[1], 1, (from, to) -> {
            double[] acc = new double[h * w], g = new double[oh * ow];
            for (long plane = from; plane < to; plane++) {
                java.util.Arrays.fill(acc, 0);
                CpuAccess.read(gd, plane * oh * ow, oh * ow, g, 0);
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double share = g[y * ow + z] / divisor;
                        for (int i = 0; i < p.kernelH(); i++) {
                            int ih = y * p.strideH() - p.padH() + i;
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < p.kernelW(); j++) {
                                int iw = z * p.strideW() - p.padW() + j;
                                if (iw >= 0 && iw < w) acc[ih * w + iw] += share;
                            }
                        }
                    }
                }
                CpuAccess.write(acc, 0, gid, plane * h * w, h * w);
            }
        });
    }
}
