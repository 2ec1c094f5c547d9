package io.ddp4j.bindings.cudnn;

/**
 * Plain-Java reference implementations of what the cuDNN tests check (NCHW float tensors,
 * PyTorch's definitions), accumulated in double. Written for clarity, not speed.
 */
final class CpuReference {
    private CpuReference() {}

    // ---- convolution (cross-correlation, as PyTorch's Conv2d) ----------------------------------

    static float[] conv2dForward(float[] x, float[] w, Conv2dShape s) {
        int n = s.batch(), c = s.inChannels(), h = s.height(), wd = s.width(), k = s.outChannels();
        int oh = s.outHeight(), ow = s.outWidth(), cg = c / s.groups(), kg = k / s.groups();
        float[] y = new float[(int) s.outputElements()];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++) {
                int g = o / kg;
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++) {
                        double acc = 0;
                        for (int ci = 0; ci < cg; ci++)
                            for (int r = 0; r < s.kernelH(); r++)
                                for (int t = 0; t < s.kernelW(); t++) {
                                    int ih = p * s.strideH() - s.padH() + r * s.dilationH();
                                    int iw = q * s.strideW() - s.padW() + t * s.dilationW();
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    acc += (double) x[((b * c + g * cg + ci) * h + ih) * wd + iw]
                                            * w[((o * cg + ci) * s.kernelH() + r) * s.kernelW() + t];
                                }
                        y[((b * k + o) * oh + p) * ow + q] = (float) acc;
                    }
            }
        return y;
    }

    /** The gradient with respect to x: every output pixel sends dy * w back to the inputs it read. */
    static float[] conv2dBackwardData(float[] w, float[] dy, Conv2dShape s) {
        int n = s.batch(), c = s.inChannels(), h = s.height(), wd = s.width(), k = s.outChannels();
        int oh = s.outHeight(), ow = s.outWidth(), cg = c / s.groups(), kg = k / s.groups();
        double[] dx = new double[(int) s.inputElements()];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++) {
                int g = o / kg;
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++) {
                        double d = dy[((b * k + o) * oh + p) * ow + q];
                        for (int ci = 0; ci < cg; ci++)
                            for (int r = 0; r < s.kernelH(); r++)
                                for (int t = 0; t < s.kernelW(); t++) {
                                    int ih = p * s.strideH() - s.padH() + r * s.dilationH();
                                    int iw = q * s.strideW() - s.padW() + t * s.dilationW();
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    dx[((b * c + g * cg + ci) * h + ih) * wd + iw] += d * w[((o * cg + ci) * s.kernelH() + r) * s.kernelW() + t];
                                }
                    }
            }
        return toFloat(dx);
    }

    /** The gradient with respect to w: dy times the input each weight saw, summed over batch and pixels. */
    static float[] conv2dBackwardFilter(float[] x, float[] dy, Conv2dShape s) {
        int n = s.batch(), c = s.inChannels(), h = s.height(), wd = s.width(), k = s.outChannels();
        int oh = s.outHeight(), ow = s.outWidth(), cg = c / s.groups(), kg = k / s.groups();
        double[] dw = new double[(int) s.filterElements()];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < k; o++) {
                int g = o / kg;
                for (int p = 0; p < oh; p++)
                    for (int q = 0; q < ow; q++) {
                        double d = dy[((b * k + o) * oh + p) * ow + q];
                        for (int ci = 0; ci < cg; ci++)
                            for (int r = 0; r < s.kernelH(); r++)
                                for (int t = 0; t < s.kernelW(); t++) {
                                    int ih = p * s.strideH() - s.padH() + r * s.dilationH();
                                    int iw = q * s.strideW() - s.padW() + t * s.dilationW();
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    dw[((o * cg + ci) * s.kernelH() + r) * s.kernelW() + t] += d * x[((b * c + g * cg + ci) * h + ih) * wd + iw];
                                }
                    }
            }
        return toFloat(dw);
    }

    /** dy summed over batch, height and width: one value per channel. */
    static float[] channelSums(float[] dy, int n, int c, int h, int w) {
        double[] db = new double[c];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h * w; i++) db[ch] += dy[(b * c + ch) * h * w + i];
        return toFloat(db);
    }

    // ---- max pooling (no padding) ---------------------------------------------------------------

    static int pooledSize(int size, int kernel, int stride) {
        return (size - kernel) / stride + 1;
    }

    static float[] maxPool2dForward(float[] x, int n, int c, int h, int w, int kernel, int stride) {
        int oh = pooledSize(h, kernel, stride), ow = pooledSize(w, kernel, stride);
        float[] y = new float[n * c * oh * ow];
        for (int nc = 0; nc < n * c; nc++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++) y[(nc * oh + p) * ow + q] = x[argmax(x, nc, h, w, p * stride, q * stride, kernel)];
        return y;
    }

    /** Each window's gradient goes to the position of its maximum (the inputs here have no ties). */
    static float[] maxPool2dBackward(float[] x, float[] dy, int n, int c, int h, int w, int kernel, int stride) {
        int oh = pooledSize(h, kernel, stride), ow = pooledSize(w, kernel, stride);
        float[] dx = new float[x.length];
        for (int nc = 0; nc < n * c; nc++)
            for (int p = 0; p < oh; p++)
                for (int q = 0; q < ow; q++) dx[argmax(x, nc, h, w, p * stride, q * stride, kernel)] += dy[(nc * oh + p) * ow + q];
        return dx;
    }

    private static int argmax(float[] x, int plane, int h, int w, int top, int left, int kernel) {
        int best = -1;
        for (int r = top; r < top + kernel; r++)
            for (int t = left; t < left + kernel; t++) {
                int i = (plane * h + r) * w + t;
                if (best < 0 || x[i] > x[best]) best = i;
            }
        return best;
    }

    // ---- batch normalization (spatial: one statistic per channel over N, H, W) -----------------

    record BatchNormForward(float[] y, float[] saveMean, float[] saveInvStd, float[] runningMean, float[] runningVar) {}

    record BatchNormBackward(float[] dx, float[] dGamma, float[] dBeta) {}

    /**
     * Training forward, as PyTorch's BatchNorm2d: normalise with the biased batch variance, update
     * running = momentum * batch + (1 - momentum) * running with the unbiased variance.
     */
    static BatchNormForward batchNormTrainingForward(float[] x, int n, int c, int h, int w, float[] gamma, float[] beta,
                                                     float[] runningMean, float[] runningVar, double momentum, double eps) {
        int m = n * h * w;
        float[] y = new float[x.length], mean = new float[c], invStd = new float[c], rm = new float[c], rv = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int b = 0; b < n; b++) for (int i = 0; i < h * w; i++) sum += x[(b * c + ch) * h * w + i];
            double mu = sum / m;
            double sq = 0;
            for (int b = 0; b < n; b++) for (int i = 0; i < h * w; i++) { double d = x[(b * c + ch) * h * w + i] - mu; sq += d * d; }
            double var = sq / m;
            double inv = 1.0 / Math.sqrt(var + eps);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < h * w; i++) {
                    int at = (b * c + ch) * h * w + i;
                    y[at] = (float) (gamma[ch] * (x[at] - mu) * inv + beta[ch]);
                }
            mean[ch] = (float) mu;
            invStd[ch] = (float) inv;
            rm[ch] = (float) (momentum * mu + (1 - momentum) * runningMean[ch]);
            rv[ch] = (float) (momentum * (sq / (m - 1)) + (1 - momentum) * runningVar[ch]);
        }
        return new BatchNormForward(y, mean, invStd, rm, rv);
    }

    /** Inference: normalise with the given running statistics. */
    static float[] batchNormInference(float[] x, int n, int c, int h, int w, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
        float[] y = new float[x.length];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < h * w; i++) {
                    int at = (b * c + ch) * h * w + i;
                    y[at] = (float) (gamma[ch] * (x[at] - mean[ch]) / Math.sqrt(var[ch] + eps) + beta[ch]);
                }
        return y;
    }

    /**
     * Backward of the training forward: with x̂ = (x - mean) * invStd and M = N*H*W,
     * dβ = Σ dy, dγ = Σ dy x̂, dx = γ invStd / M (M dy - dβ - x̂ dγ).
     */
    static BatchNormBackward batchNormBackward(float[] x, float[] dy, int n, int c, int h, int w, float[] gamma, float[] mean, float[] invStd) {
        int m = n * h * w;
        float[] dx = new float[x.length], dGamma = new float[c], dBeta = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sumDy = 0, sumDyXhat = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < h * w; i++) {
                    int at = (b * c + ch) * h * w + i;
                    sumDy += dy[at];
                    sumDyXhat += dy[at] * (x[at] - mean[ch]) * invStd[ch];
                }
            for (int b = 0; b < n; b++)
                for (int i = 0; i < h * w; i++) {
                    int at = (b * c + ch) * h * w + i;
                    double xhat = (x[at] - mean[ch]) * invStd[ch];
                    dx[at] = (float) (gamma[ch] * invStd[ch] / m * (m * dy[at] - sumDy - xhat * sumDyXhat));
                }
            dGamma[ch] = (float) sumDyXhat;
            dBeta[ch] = (float) sumDy;
        }
        return new BatchNormBackward(dx, dGamma, dBeta);
    }

    // ---- activation -----------------------------------------------------------------------------

    static float[] relu(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0f);
        return y;
    }

    static float[] reluBackward(float[] x, float[] dy) {
        float[] dx = new float[x.length];
        for (int i = 0; i < x.length; i++) dx[i] = x[i] > 0 ? dy[i] : 0f;
        return dx;
    }

    // ---- helpers --------------------------------------------------------------------------------

    static float[] toFloat(double[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (float) a[i];
        return r;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    /** Deterministic values in [-1, 1). */
    static float[] random(long seed, int count) {
        java.util.Random r = new java.util.Random(seed);
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    /** Distinct values (a shuffled ramp), so max pooling has no ties. */
    static float[] distinct(long seed, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) a[i] = (i - count / 2) * 0.25f;
        java.util.Random r = new java.util.Random(seed);
        for (int i = count - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = a[i]; a[i] = a[j]; a[j] = t;
        }
        return a;
    }

    /** Fails with the first element that differs by more than {@code tolerance * max(1, |expected|)}. */
    static void assertClose(String what, float[] expected, float[] actual, double tolerance) {
        org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double allowed = tolerance * Math.max(1.0, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= allowed)) {
                org.junit.jupiter.api.Assertions.fail(what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i] + " (tolerance " + allowed + ")");
            }
        }
    }
}
