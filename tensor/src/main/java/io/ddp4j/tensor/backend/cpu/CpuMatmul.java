package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.TensorData;

/** Batched matrix product over dense double copies; one task per block of output rows. */
final class CpuMatmul {
    private CpuMatmul() {}

    static void batched(TensorData a, TensorData b, TensorData out) {
        int batch = a.shape()[0], m = a.shape()[1], k = a.shape()[2], n = b.shape()[2];
        double[] x = CpuAccess.readAll(a), y = CpuAccess.readAll(b);
        long rows = (long) batch * m;
        CpuParallel.forRange(rows, Math.max(1, (1 << 16) / Math.max(1L, (long) k * n)), (from, to) -> {
            double[] row = new double[n];
            for (long r = from; r < to; r++) {
                int bi = (int) (r / m);
                java.util.Arrays.fill(row, 0);
                int xBase = (int) (r * k);
                int yBase = bi * k * n;
                for (int p = 0; p < k; p++) {
                    double xv = x[xBase + p];
                    int yRow = yBase + p * n;
                    for (int j = 0; j < n; j++) row[j] += xv * y[yRow + j];
                }
                CpuAccess.write(row, 0, out, r * n, n);
            }
        });
    }
}
