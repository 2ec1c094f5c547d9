package io.ddp4j.bindings.cudnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The CPU references the GPU tests trust, checked on cases small enough to work out by hand. */
class CpuReferenceTest {

    private static final float[] ONE_TO_NINE = {1, 2, 3, 4, 5, 6, 7, 8, 9};

    @Test
    void convolutionIsACrossCorrelation() {
        // 3x3 input 1..9, kernel [[1,0],[0,1]]: each output adds a pixel and its lower-right neighbour
        Conv2dShape s = Conv2dShape.of(1, 1, 3, 3, 1, 2, 0, 1, 1, 1);
        assertArrayEquals(new float[] {1 + 5, 2 + 6, 4 + 8, 5 + 9}, CpuReference.conv2dForward(ONE_TO_NINE, new float[] {1, 0, 0, 1}, s));
    }

    @Test
    void convolutionWithPaddingAndStride() {
        // a 3x3 box of ones, padding 1, stride 2: the four corners see 2x2 blocks of the input
        Conv2dShape s = Conv2dShape.of(1, 1, 3, 3, 1, 3, 1, 2, 1, 1);
        float[] ones = new float[9];
        java.util.Arrays.fill(ones, 1);
        assertArrayEquals(new float[] {1 + 2 + 4 + 5, 2 + 3 + 5 + 6, 4 + 5 + 7 + 8, 5 + 6 + 8 + 9}, CpuReference.conv2dForward(ONE_TO_NINE, ones, s));
    }

    @Test
    void groupedConvolutionKeepsChannelsApart() {
        // two groups of one channel: output 0 sees only input 0, output 1 only input 1
        Conv2dShape s = Conv2dShape.of(1, 2, 1, 1, 2, 1, 0, 1, 1, 2);
        assertArrayEquals(new float[] {2 * 10, 3 * 100}, CpuReference.conv2dForward(new float[] {2, 3}, new float[] {10, 100}, s));
    }

    @Test
    void dilationSpreadsTheKernel() {
        // a 2x2 kernel of ones with dilation 2 on the 3x3 input reads the four corners
        Conv2dShape s = Conv2dShape.of(1, 1, 3, 3, 1, 2, 0, 1, 2, 1);
        assertArrayEquals(new float[] {1 + 3 + 7 + 9}, CpuReference.conv2dForward(ONE_TO_NINE, new float[] {1, 1, 1, 1}, s));
    }

    @Test
    void backwardPassesByHand() {
        // 1x1 kernel w = 2 on a 2x2 input: dx = 2 dy, dw = sum(x * dy)
        Conv2dShape s = Conv2dShape.of(1, 1, 2, 2, 1, 1, 0, 1, 1, 1);
        float[] x = {1, 2, 3, 4}, dy = {1, -1, 0.5f, 2};
        assertArrayEquals(new float[] {2, -2, 1, 4}, CpuReference.conv2dBackwardData(new float[] {2}, dy, s));
        assertArrayEquals(new float[] {1 - 2 + 1.5f + 8}, CpuReference.conv2dBackwardFilter(x, dy, s));
    }

    @Test
    void backwardPassesAreTheAdjointsOfTheForwardPass() {
        // <conv(x, w), dy> = <x, dx(w, dy)> = <w, dw(x, dy)> for every x, w, dy: checks stride, padding, groups, dilation
        for (Conv2dShape s : new Conv2dShape[] {
                Conv2dShape.of(2, 3, 6, 6, 4, 3, 1, 1, 1, 1),
                Conv2dShape.of(2, 4, 7, 7, 6, 3, 1, 2, 1, 2),
                Conv2dShape.of(1, 2, 8, 9, 2, 3, 2, 1, 2, 2)}) {
            float[] x = CpuReference.random(1, (int) s.inputElements());
            float[] w = CpuReference.random(2, (int) s.filterElements());
            float[] dy = CpuReference.random(3, (int) s.outputElements());
            double lhs = CpuReference.dot(CpuReference.conv2dForward(x, w, s), dy);
            assertEquals(lhs, CpuReference.dot(x, CpuReference.conv2dBackwardData(w, dy, s)), 1e-4 * Math.max(1, Math.abs(lhs)), s.toString());
            assertEquals(lhs, CpuReference.dot(w, CpuReference.conv2dBackwardFilter(x, dy, s)), 1e-4 * Math.max(1, Math.abs(lhs)), s.toString());
        }
    }

    @Test
    void channelSumsAddOverBatchAndPixels() {
        // n=2, c=2, 1x2 pixels
        float[] dy = {1, 2, 10, 20, 3, 4, 30, 40};
        assertArrayEquals(new float[] {1 + 2 + 3 + 4, 10 + 20 + 30 + 40}, CpuReference.channelSums(dy, 2, 2, 1, 2));
    }

    @Test
    void maxPoolPicksAndRoutesTheMaximum() {
        float[] x = {
                1, 5, 2, 0,
                3, 4, 8, 6,
                9, 0, 1, 2,
                7, 6, 3, 4};
        assertArrayEquals(new float[] {5, 8, 9, 4}, CpuReference.maxPool2dForward(x, 1, 1, 4, 4, 2, 2));
        float[] dx = CpuReference.maxPool2dBackward(x, new float[] {10, 20, 30, 40}, 1, 1, 4, 4, 2, 2);
        assertArrayEquals(new float[] {
                0, 10, 0, 0,
                0, 0, 20, 0,
                30, 0, 0, 0,
                0, 0, 0, 40}, dx);
    }

    @Test
    void batchNormForwardByHand() {
        // one channel, values 1 and 3: mean 2, biased variance 1, unbiased 2
        var r = CpuReference.batchNormTrainingForward(new float[] {1, 3}, 2, 1, 1, 1, new float[] {2}, new float[] {0.5f},
                new float[] {0}, new float[] {1}, 0.1, 0.0);
        assertArrayEquals(new float[] {-1.5f, 2.5f}, r.y());
        assertArrayEquals(new float[] {2}, r.saveMean());
        assertArrayEquals(new float[] {1}, r.saveInvStd());
        assertArrayEquals(new float[] {0.2f}, r.runningMean(), 1e-7f);
        assertArrayEquals(new float[] {0.9f * 1 + 0.1f * 2}, r.runningVar(), 1e-7f);
        assertArrayEquals(new float[] {-1.5f, 2.5f}, CpuReference.batchNormInference(new float[] {1, 3}, 2, 1, 1, 1,
                new float[] {2}, new float[] {0.5f}, new float[] {2}, new float[] {1}, 0.0));
    }

    @Test
    void batchNormBackwardMatchesFiniteDifferences() {
        int n = 3, c = 2, h = 2, w = 2;
        float[] x = CpuReference.random(11, n * c * h * w), dy = CpuReference.random(12, n * c * h * w);
        float[] gamma = {1.5f, -0.7f}, beta = {0.1f, 0.2f};
        double eps = 1e-5;
        var fwd = CpuReference.batchNormTrainingForward(x, n, c, h, w, gamma, beta, new float[c], new float[c], 0.1, eps);
        var bwd = CpuReference.batchNormBackward(x, dy, n, c, h, w, gamma, fwd.saveMean(), fwd.saveInvStd());
        double step = 1e-2;
        for (int i = 0; i < x.length; i++) {
            float[] plus = x.clone(), minus = x.clone();
            plus[i] += (float) step;
            minus[i] -= (float) step;
            double numeric = (loss(plus, dy, n, c, h, w, gamma, beta, eps) - loss(minus, dy, n, c, h, w, gamma, beta, eps)) / (plus[i] - minus[i]);
            assertEquals(numeric, bwd.dx()[i], 2e-3, "dx[" + i + "]");
        }
        for (int ch = 0; ch < c; ch++) {
            float[] gp = gamma.clone(), gm = gamma.clone(), bp = beta.clone(), bm = beta.clone();
            gp[ch] += (float) step;
            gm[ch] -= (float) step;
            bp[ch] += (float) step;
            bm[ch] -= (float) step;
            double dGamma = (loss(x, dy, n, c, h, w, gp, beta, eps) - loss(x, dy, n, c, h, w, gm, beta, eps)) / (gp[ch] - gm[ch]);
            double dBeta = (loss(x, dy, n, c, h, w, gamma, bp, eps) - loss(x, dy, n, c, h, w, gamma, bm, eps)) / (bp[ch] - bm[ch]);
            assertEquals(dGamma, bwd.dGamma()[ch], 2e-3, "dGamma[" + ch + "]");
            assertEquals(dBeta, bwd.dBeta()[ch], 2e-3, "dBeta[" + ch + "]");
        }
    }

    private static double loss(float[] x, float[] dy, int n, int c, int h, int w, float[] gamma, float[] beta, double eps) {
        return CpuReference.dot(CpuReference.batchNormTrainingForward(x, n, c, h, w, gamma, beta, new float[c], new float[c], 0.1, eps).y(), dy);
    }

    @Test
    void reluAndItsGradient() {
        float[] x = {-2, 0.5f, 3, -0.1f};
        assertArrayEquals(new float[] {0, 0.5f, 3, 0}, CpuReference.relu(x));
        assertArrayEquals(new float[] {0, 7, 8, 0}, CpuReference.reluBackward(x, new float[] {6, 7, 8, 9}));
    }

    @Test
    void distinctValuesHaveNoTies() {
        float[] a = CpuReference.distinct(5, 64);
        assertEquals(64, java.util.Arrays.stream(box(a)).distinct().count());
    }

    private static Float[] box(float[] a) {
        Float[] r = new Float[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }
}
