package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.TensorData;

/**
 * 2-d convolution as matrix products over gathered patches (im2col) through {@link CpuGemm}, with
 * every sum in double and in the same order as the direct loops kept below as the definition:
 * <ul>
 * <li>forward: out[n, o, y, z] sums over (c, i, j) ascending;</li>
 * <li>backward input: grad_in[n, c, h, w] sums over (o, i, j) ascending (each (i, j) meets at most one
 *     output position);</li>
 * <li>backward weight: grad_w[o, c, i, j] is, for n ascending, the running sum plus that sample's
 *     sum over (y, z) ascending.</li>
 * </ul>
 * Where the direct loops skip a tap that falls in the padding, the products add an exact +0 or -0
 * instead, which leaves a sum that started at +0 unchanged; that holds only when the other factor
 * is finite, so when the weight (forward, backward input) or the output gradient (backward weight)
 * holds an infinity or NaN, or when a gathered matrix would be very large, the direct loops run.
 * Results are therefore bit for bit those of the direct loops. Each task owns the outputs it writes
 * and sums in a fixed order, so the result does not depend on thread count.
 */
final class CpuConv2d {
    private CpuConv2d() {}

    private record Geometry(int n, int c, int h, int w, int o, int cg, int og, int kh, int kw, int oh, int ow) {
        static Geometry of(int[] xShape, int[] wShape, int[] oShape, Conv2dParams p) {
            return new Geometry(xShape[0], xShape[1], xShape[2], xShape[3], wShape[0], wShape[1], wShape[0] / p.groups(),
                    wShape[2], wShape[3], oShape[2], oShape[3]);
        }
    }

    /** Gathered matrices larger than this many doubles per task use the direct loops. */
    static final long MAX_GATHER = 1L << 22;

    private static boolean allFinite(double[] a) {
        for (double v : a) if (!Double.isFinite(v)) return false;
        return true;
    }

    static void forward(TensorData xd, TensorData wd, TensorData outd, Conv2dParams p) {
        Geometry g = Geometry.of(xd.shape(), wd.shape(), outd.shape(), p);
        int kk = g.cg * g.kh * g.kw, plane = g.oh * g.ow;
        if ((long) kk * plane > MAX_GATHER || outd.numel() == 0) {
            forwardDirect(xd, wd, outd, p);
            return;
        }
        double[] w = CpuAccess.readAll(wd);
        if (!allFinite(w)) {
            forwardDirect(xd, wd, outd, p);
            return;
        }
        int groups = p.groups(), inPlane = g.h * g.w;
        CpuParallel.forRange((long) g.n * groups, 1, (from, to) -> {
            double[] x = new double[g.cg * inPlane], col = new double[kk * plane], res = new double[g.og * plane];
            for (long t = from; t < to; t++) {
                int ni = (int) (t / groups), group = (int) (t % groups);
                readGroup(xd, ni, g.c, group, g.cg, inPlane, x);
                // col[(cl, i, j), (y, z)] = x[ni, group * cg + cl, ih, iw], 0 in the padding
                for (int cl = 0; cl < g.cg; cl++) {
                    int xPlane = cl * inPlane;
                    for (int i = 0; i < g.kh; i++)
                        for (int j = 0; j < g.kw; j++)
                            gatherPlane(x, xPlane, col, ((cl * g.kh + i) * g.kw + j) * plane, g, p, i, j);
                }
                CpuGemm.gemm(w, group * g.og * kk, kk, col, 0, plane, res, 0, plane, g.og, plane, kk);
                CpuAccess.write(res, 0, outd, ((long) ni * g.o + (long) group * g.og) * plane, g.og * plane);
            }
        });
    }

    /** dst[dstPos + y * ow + z] = x[xPlane + ih * w + iw] for the tap (i, j), 0 where it falls outside. */
    private static void gatherPlane(double[] x, int xPlane, double[] dst, int dstPos, Geometry g, Conv2dParams p, int i, int j) {
        int sw = p.strideW(), offW = j * p.dilationW() - p.padW();
        // the output columns whose input column is inside: z in [zLo, zHi)
        int zLo = offW >= 0 ? 0 : Math.min(g.ow, (-offW + sw - 1) / sw);
        int zHi = Math.max(zLo, Math.min(g.ow, g.w - offW <= 0 ? 0 : (g.w - offW - 1) / sw + 1));
        for (int y = 0; y < g.oh; y++) {
            int ih = y * p.strideH() - p.padH() + i * p.dilationH();
            int row = dstPos + y * g.ow;
            if (ih < 0 || ih >= g.h) {
                java.util.Arrays.fill(dst, row, row + g.ow, 0.0);
                continue;
            }
            int src = xPlane + ih * g.w + offW;
            for (int z = 0; z < zLo; z++) dst[row + z] = 0;
            if (sw == 1) System.arraycopy(x, src + zLo, dst, row + zLo, zHi - zLo);
            else for (int z = zLo; z < zHi; z++) dst[row + z] = x[src + z * sw];
            for (int z = zHi; z < g.ow; z++) dst[row + z] = 0;
        }
    }

    static void backwardInput(TensorData gd, TensorData wd, TensorData gid, Conv2dParams p) {
        Geometry g = Geometry.of(gid.shape(), wd.shape(), gd.shape(), p);
        int kk = g.og * g.kh * g.kw, inPlane = g.h * g.w, outPlane = g.oh * g.ow;
        if ((long) kk * inPlane > MAX_GATHER || gid.numel() == 0) {
            backwardInputDirect(gd, wd, gid, p);
            return;
        }
        double[] w = CpuAccess.readAll(wd);
        if (!allFinite(w)) {
            backwardInputDirect(gd, wd, gid, p);
            return;
        }
        int groups = p.groups(), perIn = g.cg * g.kh * g.kw;
        // wt[group][cl, (ol, i, j)] = w[group * og + ol, cl, i, j]
        double[] wt = new double[groups * g.cg * kk];
        for (int group = 0; group < groups; group++)
            for (int ol = 0; ol < g.og; ol++)
                for (int cl = 0; cl < g.cg; cl++)
                    for (int ij = 0; ij < g.kh * g.kw; ij++)
                        wt[(group * g.cg + cl) * kk + ol * g.kh * g.kw + ij] = w[(group * g.og + ol) * perIn + cl * g.kh * g.kw + ij];
        CpuParallel.forRange((long) g.n * groups, 1, (from, to) -> {
            double[] go = new double[g.og * outPlane], col = new double[kk * inPlane], res = new double[g.cg * inPlane];
            for (long t = from; t < to; t++) {
                int ni = (int) (t / groups), group = (int) (t % groups);
                readGroup(gd, ni, g.o, group, g.og, outPlane, go);
                // col[(ol, i, j), (ih, iw)] = grad_out[ni, group * og + ol, y, z] for the output position
                // that tap (i, j) takes from (ih, iw), 0 where there is none
                for (int ol = 0; ol < g.og; ol++) {
                    int gPlane = ol * outPlane;
                    for (int i = 0; i < g.kh; i++)
                        for (int j = 0; j < g.kw; j++)
                            scatterSourcePlane(go, gPlane, col, ((ol * g.kh + i) * g.kw + j) * inPlane, g, p, i, j);
                }
                CpuGemm.gemm(wt, group * g.cg * kk, kk, col, 0, inPlane, res, 0, inPlane, g.cg, inPlane, kk);
                CpuAccess.write(res, 0, gid, ((long) ni * g.c + (long) group * g.cg) * inPlane, g.cg * inPlane);
            }
        });
    }

    /** dst[dstPos + ih * w + iw] = go[gPlane + y * ow + z] where tap (i, j) of output (y, z) reads (ih, iw), else 0. */
    private static void scatterSourcePlane(double[] go, int gPlane, double[] dst, int dstPos, Geometry g, Conv2dParams p, int i, int j) {
        java.util.Arrays.fill(dst, dstPos, dstPos + g.h * g.w, 0.0);
        for (int y = 0; y < g.oh; y++) {
            int ih = y * p.strideH() - p.padH() + i * p.dilationH();
            if (ih < 0 || ih >= g.h) continue;
            int row = dstPos + ih * g.w, src = gPlane + y * g.ow;
            for (int z = 0; z < g.ow; z++) {
                int iw = z * p.strideW() - p.padW() + j * p.dilationW();
                if (iw >= 0 && iw < g.w) dst[row + iw] = go[src + z];
            }
        }
    }

    static void backwardWeight(TensorData xd, TensorData gd, TensorData gwd, Conv2dParams p) {
        Geometry g = Geometry.of(xd.shape(), gwd.shape(), gd.shape(), p);
        int kk = g.cg * g.kh * g.kw, plane = g.oh * g.ow;
        int groups = p.groups();
        if ((long) kk * plane > MAX_GATHER || gwd.numel() == 0) {
            backwardWeightDirect(xd, gd, gwd, p);
            return;
        }
        int perSample = g.o * kk, inPlane = g.h * g.w;
        // samples in chunks: each sample's sums are computed in parallel, then added in sample order
        int chunk = (int) Math.max(1, Math.min(g.n, MAX_GATHER / perSample));
        double[] acc = new double[perSample];
        double[] partial = new double[chunk * perSample];
        // an infinite or NaN output gradient sends the whole op to the direct loops (see the class
        // comment); each task checks the slice it reads, and nothing is written to gwd before the end
        java.util.concurrent.atomic.AtomicBoolean nonFinite = new java.util.concurrent.atomic.AtomicBoolean();
        for (int n0 = 0; n0 < g.n; n0 += chunk) {
            int count = Math.min(chunk, g.n - n0), first = n0;
            CpuParallel.forRange((long) count * groups, 1, (from, to) -> {
                double[] x = new double[g.cg * inPlane], go = new double[g.og * plane];
                double[] colT = new double[plane * kk], col = new double[kk * plane];
                for (long t = from; t < to && !nonFinite.get(); t++) {
                    int local = (int) (t / groups), group = (int) (t % groups), ni = first + local;
                    readGroup(gd, ni, g.o, group, g.og, plane, go);
                    if (!allFinite(go)) {
                        nonFinite.set(true);
                        return;
                    }
                    readGroup(xd, ni, g.c, group, g.cg, inPlane, x);
                    for (int cl = 0; cl < g.cg; cl++) {
                        int xPlane = cl * inPlane;
                        for (int i = 0; i < g.kh; i++)
                            for (int j = 0; j < g.kw; j++)
                                gatherPlane(x, xPlane, col, ((cl * g.kh + i) * g.kw + j) * plane, g, p, i, j);
                    }
                    transpose(col, kk, plane, colT);
                    // partial[local][group * og + ol, (cl, i, j)] = sum over (y, z) of go * x
                    CpuGemm.gemm(go, 0, plane, colT, 0, kk,
                            partial, local * perSample + group * g.og * kk, kk, g.og, kk, plane);
                }
            });
            if (nonFinite.get()) break;
            CpuParallel.forRange(perSample, 1 << 12, (from, to) -> {
                for (int local = 0; local < count; local++) {
                    int base = local * perSample;
                    for (int e = (int) from; e < to; e++) acc[e] += partial[base + e];
                }
            });
        }
        if (nonFinite.get()) {
            backwardWeightDirect(xd, gd, gwd, p);
            return;
        }
        CpuAccess.write(acc, 0, gwd, 0, perSample);
    }

    /**
     * dst[0 .. size * planeSize) = t[sample, group * size .. (group + 1) * size, ...]: one group's
     * channels of one sample, read by the task that uses them, so no thread waits on a whole-tensor
     * conversion and the planes are still in this core's cache when they are gathered.
     */
    private static void readGroup(TensorData t, int sample, int channels, int group, int size, int planeSize, double[] dst) {
        CpuAccess.read(t, ((long) sample * channels + (long) group * size) * planeSize, size * planeSize, dst, 0);
    }

    /** dst[c * rows + r] = src[r * cols + c]: [rows, cols] to [cols, rows], in tiles. */
    private static void transpose(double[] src, int rows, int cols, double[] dst) {
        final int tile = 32;
        for (int r0 = 0; r0 < rows; r0 += tile)
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int r1 = Math.min(rows, r0 + tile), c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
            }
    }

    static void forwardDirect(TensorData xd, TensorData wd, TensorData outd, Conv2dParams p) {
        Geometry g = Geometry.of(xd.shape(), wd.shape(), outd.shape(), p);
        double[] x = CpuAccess.readAll(xd), w = CpuAccess.readAll(wd);
        int plane = g.oh * g.ow;
        CpuParallel.forRange((long) g.n * g.o, 1, (from, to) -> {
            double[] acc = new double[plane];
            for (long t = from; t < to; t++) {
                int ni = (int) (t / g.o), oi = (int) (t % g.o);
                int group = oi / g.og;
                java.util.Arrays.fill(acc, 0);
                for (int cl = 0; cl < g.cg; cl++) {
                    int xPlane = ((ni * g.c) + group * g.cg + cl) * g.h * g.w;
                    for (int i = 0; i < g.kh; i++) {
                        for (int j = 0; j < g.kw; j++) {
                            double wv = w[((oi * g.cg + cl) * g.kh + i) * g.kw + j];
                            for (int y = 0; y < g.oh; y++) {
                                int ih = y * p.strideH() - p.padH() + i * p.dilationH();
                                if (ih < 0 || ih >= g.h) continue;
                                int row = xPlane + ih * g.w;
                                for (int z = 0; z < g.ow; z++) {
                                    int iw = z * p.strideW() - p.padW() + j * p.dilationW();
                                    if (iw >= 0 && iw < g.w) acc[y * g.ow + z] += wv * x[row + iw];
                                }
                            }
                        }
                    }
                }
                CpuAccess.write(acc, 0, outd, t * plane, plane);
            }
        });
    }

    static void backwardInputDirect(TensorData gd, TensorData wd, TensorData gid, Conv2dParams p) {
        Geometry g = Geometry.of(gid.shape(), wd.shape(), gd.shape(), p);
        double[] go = CpuAccess.readAll(gd), w = CpuAccess.readAll(wd);
        int inPlane = g.h * g.w;
        CpuParallel.forRange((long) g.n * g.c, 1, (from, to) -> {
            double[] acc = new double[inPlane];
            for (long t = from; t < to; t++) {
                int ni = (int) (t / g.c), ci = (int) (t % g.c);
                int group = ci / g.cg, cl = ci % g.cg;
                java.util.Arrays.fill(acc, 0);
                for (int ol = 0; ol < g.og; ol++) {
                    int oi = group * g.og + ol;
                    int gPlane = (ni * g.o + oi) * g.oh * g.ow;
                    for (int i = 0; i < g.kh; i++) {
                        for (int j = 0; j < g.kw; j++) {
                            double wv = w[((oi * g.cg + cl) * g.kh + i) * g.kw + j];
                            for (int y = 0; y < g.oh; y++) {
                                int ih = y * p.strideH() - p.padH() + i * p.dilationH();
                                if (ih < 0 || ih >= g.h) continue;
                                for (int z = 0; z < g.ow; z++) {
                                    int iw = z * p.strideW() - p.padW() + j * p.dilationW();
                                    if (iw >= 0 && iw < g.w) acc[ih * g.w + iw] += wv * go[gPlane + y * g.ow + z];
                                }
                            }
                        }
                    }
                }
                CpuAccess.write(acc, 0, gid, t * inPlane, inPlane);
            }
        });
    }

    static void backwardWeightDirect(TensorData xd, TensorData gd, TensorData gwd, Conv2dParams p) {
        Geometry g = Geometry.of(xd.shape(), gwd.shape(), gd.shape(), p);
        double[] x = CpuAccess.readAll(xd), go = CpuAccess.readAll(gd);
        int perOut = g.cg * g.kh * g.kw;
        CpuParallel.forRange(g.o, 1, (from, to) -> {
            double[] acc = new double[perOut];
            for (long t = from; t < to; t++) {
                int oi = (int) t, group = oi / g.og;
                java.util.Arrays.fill(acc, 0);
                for (int ni = 0; ni < g.n; ni++) {
                    int gPlane = (ni * g.o + oi) * g.oh * g.ow;
                    for (int cl = 0; cl < g.cg; cl++) {
                        int xPlane = ((ni * g.c) + group * g.cg + cl) * g.h * g.w;
                        for (int i = 0; i < g.kh; i++) {
                            for (int j = 0; j < g.kw; j++) {
                                double s = 0;
                                for (int y = 0; y < g.oh; y++) {
                                    int ih = y * p.strideH() - p.padH() + i * p.dilationH();
                                    if (ih < 0 || ih >= g.h) continue;
                                    for (int z = 0; z < g.ow; z++) {
                                        int iw = z * p.strideW() - p.padW() + j * p.dilationW();
                                        if (iw >= 0 && iw < g.w) s += go[gPlane + y * g.ow + z] * x[xPlane + ih * g.w + iw];
                                    }
                                }
                                acc[(cl * g.kh + i) * g.kw + j] += s;
                            }
                        }
                    }
                }
                CpuAccess.write(acc, 0, gwd, t * perOut, perOut);
            }
        });
    }
}
