package io.ddp4j.tensor.backend.cpu;

import java.util.Arrays;

/**
 * Run in a child JVM by {@link CpuGemmTest}: prints which path this JVM's products take, then a
 * checksum of the bits of one product with tails in both dimensions.
 */
public final class GemmProbe {
    static final int M = 7, N = 29, K = 13;

    private GemmProbe() {}

    public static void main(String[] args) {
        System.out.println(CpuVectorSupport.describe());
        System.out.println(checksum(product()));
    }

    static double[] product() {
        double[] a = new double[M * K], b = new double[K * N], c = new double[M * N];
        for (int i = 0; i < a.length; i++) a[i] = Math.sin(0.37 * i) * 3;
        for (int i = 0; i < b.length; i++) b[i] = Math.cos(0.11 * i + 1) / 7;
        CpuGemm.gemm(a, 0, K, b, 0, N, c, 0, N, M, N, K);
        return c;
    }

    static long checksum(double[] c) {
        return Arrays.hashCode(Arrays.stream(c).mapToLong(Double::doubleToLongBits).toArray());
    }
}
