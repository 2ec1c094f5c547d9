package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.TensorData;

/** Max and average pooling, one task per (sample, channel) plane. */
final class CpuPool2d {
    private CpuPool2d() {}

    static void maxForward(TensorData xd, TensorData outd, TensorData idxd, Pool2dParams p) {
        int[] xs = xd.shape(), os = outd.shape();
        int h = xs[2], w = xs[3], oh = os[2], ow = os[3];
        double[] x = CpuAccess.readAll(xd);
        CpuParallel.forRange((long) xs[0] * xs[1], 1, (from, to) -> {
            double[] out = new double[oh * ow], idx = new double[oh * ow];
            for (long plane = from; plane < to; plane++) {
                int base = (int) plane * h * w;
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double best = Double.NEGATIVE_INFINITY;
                        int at = -1;
                        for (int i = 0; i < p.kernelH(); i++) {
                            int ih = y * p.strideH() - p.padH() + i;
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < p.kernelW(); j++) {
                                int iw = z * p.strideW() - p.padW() + j;
                                if (iw < 0 || iw >= w) continue;
                                double v = x[base + ih * w + iw];
                                if (at < 0 || v > best || Double.isNaN(v)) {
                                    best = v;
                                    at = ih * w + iw;
                                }
                            }
                        }
                        out[y * ow + z] = best;
                        idx[y * ow + z] = at;
                    }
                }
                CpuAccess.write(out, 0, outd, plane * oh * ow, oh * ow);
                CpuAccess.write(idx, 0, idxd, plane * oh * ow, oh * ow);
            }
        });
    }

    static void maxBackward(TensorData gd, TensorData idxd, TensorData gid, Pool2dParams p) {
        int[] is = gid.shape(), os = gd.shape();
        int inPlane = is[2] * is[3], outPlane = os[2] * os[3];
        double[] g = CpuAccess.readAll(gd), idx = CpuAccess.readAll(idxd);
        CpuParallel.forRange((long) is[0] * is[1], 1, (from, to) -> {
            double[] acc = new double[inPlane];
            for (long plane = from; plane < to; plane++) {
                java.util.Arrays.fill(acc, 0);
                int base = (int) plane * outPlane;
                for (int k = 0; k < outPlane; k++) acc[(int) idx[base + k]] += g[base + k];
                CpuAccess.write(acc, 0, gid, plane * inPlane, inPlane);
            }
        });
    }

    static void avgForward(TensorData xd, TensorData outd, Pool2dParams p) {
        int[] xs = xd.shape(), os = outd.shape();
        int h = xs[2], w = xs[3], oh = os[2], ow = os[3];
        double divisor = p.kernelH() * p.kernelW();
        double[] x = CpuAccess.readAll(xd);
        CpuParallel.forRange((long) xs[0] * xs[1], 1, (from, to) -> {
            double[] out = new double[oh * ow];
            for (long plane = from; plane < to; plane++) {
                int base = (int) plane * h * w;
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double s = 0;
                        for (int i = 0; i < p.kernelH(); i++) {
                            int ih = y * p.strideH() - p.padH() + i;
                            if (ih < 0 || ih >= h) continue;
                            for (int j = 0; j < p.kernelW(); j++) {
                                int iw = z * p.strideW() - p.padW() + j;
                                if (iw >= 0 && iw < w) s += x[base + ih * w + iw];
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
        double[] g = CpuAccess.readAll(gd);
        CpuParallel.forRange((long) is[0] * is[1], 1, (from, to) -> {
            double[] acc = new double[h * w];
            for (long plane = from; plane < to; plane++) {
                java.util.Arrays.fill(acc, 0);
                int base = (int) plane * oh * ow;
                for (int y = 0; y < oh; y++) {
                    for (int z = 0; z < ow; z++) {
                        double share = g[base + y * ow + z] / divisor;
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
