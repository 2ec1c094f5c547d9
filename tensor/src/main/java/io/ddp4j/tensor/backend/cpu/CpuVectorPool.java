package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.Pool2dParams;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Max pooling's interior windows on the Vector API, a vector of windows at a time: the same
 * choice as {@link CpuPool2d}'s scalar loop, lane by lane. The taps are visited in the same order
 * (rows, then columns, ascending), the first tap starts the window, and a later tap wins when it
 * is greater or NaN, so equal values keep the first position and a NaN the last NaN's, as in
 * PyTorch. The scalar loop's compare-and-branch mispredicts about once a window on real data;
 * here it is a compare and two blends. The lanes take consecutive windows of the plane's list of
 * interior windows, across output rows, so a plane narrower than a vector fills it too (the CNN's
 * second pooling has 7 columns); each tap is one gather at the windows' top-left corners.
 *
 * <p>Only {@link CpuPool2d}, after {@link CpuVectorSupport#enabled()}, may load this class: it
 * refers to {@code jdk.incubator.vector}, which a JVM resolves only when started with
 * {@code --add-modules jdk.incubator.vector}.
 */
final class CpuVectorPool {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private CpuVectorPool() {}

    /**
     * The interior windows [0, k * L), the most whole vectors there are: window q has its top-left
     * tap at x[corner[q]] and its result goes to out[interior[q]] and idx[interior[q]]. Returns how
     * many windows it did.
     */
    static int maxInterior(double[] x, int w, Pool2dParams p, CpuPool2d.Windows windows, double[] out, double[] idx) {
        int[] corner = windows.corner(), at = windows.interior();
        double[] cornerValue = windows.cornerValue();
        int end = at.length / L * L, kw = p.kernelW(), taps = p.kernelH() * kw;
        for (int q = 0; q < end; q += L) {
            DoubleVector corners = DoubleVector.fromArray(S, cornerValue, q);
            // the first tap starts the window (set before the loop: a vector variable that may be null is kept boxed)
            DoubleVector best = DoubleVector.fromArray(S, x, 0, corner, q), where = corners;
            for (int t = 1; t < taps; t++) {
                int tap = (t / kw) * w + t % kw;
                DoubleVector v = DoubleVector.fromArray(S, x, tap, corner, q);
                VectorMask<Double> wins = v.compare(VectorOperators.GT, best).or(v.test(VectorOperators.IS_NAN));
                best = best.blend(v, wins);
                where = where.blend(corners.add(tap), wins);
            }
            best.intoArray(out, 0, at, q);
            where.intoArray(idx, 0, at, q);
        }
        return end;
    }
}
