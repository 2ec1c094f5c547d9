package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.TensorData;

/**
 * Direct 2-d convolution: for each weight element, a multiply-add over a whole output plane (the
 * inner loop runs along output columns). Each task owns the outputs it writes and sums in a fixed
 * order, so the result does not depend on thread count.
 */
final class CpuConv2d {
    private CpuConv2d() {}

    private record Geometry(int n, int c, int h, int w, int o, int cg, int og, int kh, int kw, int oh, int ow) {
        static Geometry of(int[] xShape, int[] wShape, int[] oShape, Conv2dParams p) {
            return new Geometry(xShape[0], xShape[1], xShape[2], xShape[3], wShape[0], wShape[1], wShape[0] / p.groups(),
                    wShape[2], wShape[3], oShape[2], oShape[3]);
        }
    }

    static void forward(TensorData xd, TensorData wd, TensorData outd, Conv2dParams p) {
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

    static void backwardInput(TensorData gd, TensorData wd, TensorData gid, Conv2dParams p) {
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

    static void backwardWeight(TensorData xd, TensorData gd, TensorData gwd, Conv2dParams p) {
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
