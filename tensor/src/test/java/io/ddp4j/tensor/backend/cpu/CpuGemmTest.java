package io.ddp4j.tensor.backend.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cpu backend's matrix product: the Vector API path and the plain loops give the bits of the
 * in-order triple loop for every shape, tail and special value, write nothing outside C's window,
 * and a JVM that cannot run the Vector API well takes the plain loops and gets the same result.
 */
class CpuGemmTest {
    private static final Random RND = new Random(7);
    /**
     * Rows, columns, depth: tiles of 4 rows by 3 vectors and every kind of remainder around them,
     * read directly (k up to 256) and through packed blocks of 128 rows of B (a partial panel, or a
     * longer k, ending inside a block or on its edge), over more than one pass of 256 rows.
     */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {4, 24, 5}, {4, 48, 1}, {5, 25, 3}, {3, 7, 11}, {8, 8, 0}, {13, 31, 17}, {16, 196, 9},
            {32, 9, 40}, {7, 100, 33}, {2, 3, 200}, {64, 50, 64}, {17, 23, 1}, {9, 48, 256}, {9, 48, 257},
            {6, 30, 300}, {5, 72, 384}, {1, 20, 129}, {261, 25, 3}, {300, 48, 260}, {4, 24, 0},
    };

    /** What every path must equal: per element, a sum from +0 over k in order, multiply then add. */
    private static void tripleLoop(double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
                                   double[] c, int cOff, int ldc, int m, int n, int k) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[aOff + i * lda + p] * b[bOff + p * ldb + j];
                c[cOff + i * ldc + j] = s;
            }
    }

    private interface Gemm {
        void run(double[] a, int aOff, int lda, double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, int m, int n, int k);
    }

    /** Values of every magnitude, with zeros of both signs, subnormals, infinities and NaN mixed in. */
    private static double[] values(int n, boolean special) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = RND.nextGaussian() * Math.pow(10, RND.nextInt(9) - 4);
            if (special && RND.nextInt(40) == 0) {
                double[] odd = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_NORMAL / 3, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e300};
                v[i] = odd[RND.nextInt(odd.length)];
            }
        }
        return v;
    }

    private static void assertSameBits(double[] want, double[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            // doubleToLongBits: every NaN is one NaN; a zero's sign and every other bit count
            if (Double.doubleToLongBits(want[i]) != Double.doubleToLongBits(got[i])) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", the in-order loop gives " + want[i]);
            }
        }
    }

    /** Each path on a product placed inside larger arrays: offsets, leading dimensions past the window, sentinels around it. */
    private static void checkPath(String name, Gemm gemm) {
        for (boolean special : new boolean[] {false, true})
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                int lda = k + RND.nextInt(3), ldb = n + RND.nextInt(3), ldc = n + 1 + RND.nextInt(3);
                int aOff = RND.nextInt(4), bOff = RND.nextInt(4), cOff = RND.nextInt(4);
                // A and B end exactly where their last element is, so a lane read past the window would throw
                double[] a = values(aOff + Math.max(0, (m - 1) * lda + k), special);
                double[] b = values(bOff + Math.max(0, (k - 1) * ldb + n), special);
                double[] want = new double[cOff + m * ldc + 3];
                java.util.Arrays.fill(want, -12345.5);
                double[] got = want.clone();
                tripleLoop(a, aOff, lda, b, bOff, ldb, want, cOff, ldc, m, n, k);
                gemm.run(a, aOff, lda, b, bOff, ldb, got, cOff, ldc, m, n, k);
                assertSameBits(want, got, name + " " + m + "x" + n + "x" + k + (special ? " with special values" : ""));
            }
    }

    @Test
    void theVectorPathGivesTheBitsOfTheInOrderLoopAndWritesOnlyItsWindow() {
        VectorApiInTests.require();
        checkPath("vector", CpuVectorGemm::gemm);
    }

    @Test
    void thePlainLoopsGiveTheSameBits() {
        checkPath("plain", CpuGemm::plainGemm);
    }

    @Test
    void aJvmWithoutTheVectorApiOrWithoutC2TakesThePlainLoopsAndGetsTheSameBits() throws Exception {
        VectorApiInTests.require(); // the child JVMs are this runtime, which must hold the module
        String here = Long.toString(GemmProbe.checksum(GemmProbe.product()));
        List<String> noModule = probe(List.of());
        assertTrue(noModule.get(0).startsWith("plain loops (start java with --add-modules jdk.incubator.vector"), noModule.toString());
        assertEquals(here, noModule.get(1));
        List<String> noC2 = probe(List.of("--add-modules=jdk.incubator.vector", "-XX:TieredStopAtLevel=1"));
        assertTrue(noC2.get(0).contains("without C2"), noC2.toString());
        assertEquals(here, noC2.get(1));
        List<String> turnedOff = probe(List.of("--add-modules=jdk.incubator.vector", "-Dddp4j.cpu.vector=false"));
        assertTrue(turnedOff.get(0).contains("ddp4j.cpu.vector=false"), turnedOff.toString());
        List<String> vector = probe(List.of("--add-modules=jdk.incubator.vector"));
        assertTrue(vector.get(0).startsWith("Vector API"), vector.toString());
        assertEquals(here, vector.get(1));
    }

    /** {@link GemmProbe}'s output lines (stderr's incubator warning left out) in a child JVM with these options. */
    private static List<String> probe(List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-Xshare:auto", "-Xmx64m", "-cp", System.getProperty("java.class.path"), GemmProbe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        return out.lines().toList();
    }
}
