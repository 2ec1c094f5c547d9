package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.TensorData;

/**
 * Fused softmax cross entropy with label smoothing: the target distribution is
 * (1 - s) * one_hot(t) + s / C, PyTorch's definition, so the loss of a row is
 * -(1 - s) * logp[t] - (s / C) * sum_c logp[c].
 */
final class CpuLosses {
    private CpuLosses() {}

    static void crossEntropy(TensorData logitsd, TensorData targetsd, double s, TensorData lossd, TensorData probsd) {
        int n = logitsd.shape()[0], c = logitsd.shape()[1];
        double[] x = CpuAccess.readAll(logitsd), t = CpuAccess.readAll(targetsd);
        double[] probs = new double[n * c];
        double total = 0;
        for (int i = 0; i < n; i++) {
            int target = checkedTarget(t[i], i, c);
            int row = i * c;
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) max = Math.max(max, x[row + k]);
            double sumExp = 0;
            for (int k = 0; k < c; k++) sumExp += Math.exp(x[row + k] - max);
            double logSum = max + Math.log(sumExp);
            double sumLogp = 0;
            for (int k = 0; k < c; k++) {
                double logp = x[row + k] - logSum;
                sumLogp += logp;
                probs[row + k] = Math.exp(logp);
            }
            total += -(1 - s) * (x[row + target] - logSum) - (s / c) * sumLogp;
        }
        CpuAccess.writeAll(new double[]{total / n}, lossd);
        CpuAccess.writeAll(probs, probsd);
    }

    static void crossEntropyBackward(TensorData probsd, TensorData targetsd, double s, TensorData gradLossd, TensorData gradd) {
        int n = probsd.shape()[0], c = probsd.shape()[1];
        double[] p = CpuAccess.readAll(probsd), t = CpuAccess.readAll(targetsd);
        double scale = CpuAccess.readAll(gradLossd)[0] / n;
        double[] g = new double[n * c];
        for (int i = 0; i < n; i++) {
            int target = (int) t[i];
            for (int k = 0; k < c; k++) {
                double want = (k == target ? 1 - s : 0) + s / c;
                g[i * c + k] = scale * (p[i * c + k] - want);
            }
        }
        CpuAccess.writeAll(g, gradd);
    }

    private static int checkedTarget(double value, int row, int classes) {
        if (value < 0 || value >= classes)
            throw new IndexOutOfBoundsException("cross_entropy: target " + (long) value + " at position " + row
                    + " is out of range for " + classes + " classes");
        return (int) value;
    }
}
