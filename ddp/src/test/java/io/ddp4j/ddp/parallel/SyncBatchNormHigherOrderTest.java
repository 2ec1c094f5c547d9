package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Autograd;
import io.ddp4j.tensor.nn.BatchNorm1d;
import io.ddp4j.tensor.nn.Module;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * SyncBatchNorm's all-reduce is differentiable to any order: a gradient penalty through it on two
 * ranks gives what plain BatchNorm gives on the whole batch in one process (the input's gradient
 * row for row, the weight's as the sum over ranks, since each rank holds a copy; the bias moves no
 * input gradient, so it gets none, as in PyTorch).
 */
class SyncBatchNormHigherOrderTest {
    private static final int C = 3, ROWS = 4;

    /** sum(|d(sum(bn(x) * w)) / dx|^2) with its backward run: what a gradient penalty does. */
    private static double penalty(Module bn, Tensor x, Tensor w) {
        Tensor gx = Autograd.gradWithGraph(bn.forward(x).mul(w).sum(), x)[0];
        Tensor p = gx.pow(2.0).sum();
        p.backward();
        return p.item();
    }

    private static Tensor rows(Tensor t, int from, int count) {
        return t.narrow(0, from, count).contiguous();
    }

    @Test
    void aGradientPenaltyThroughSyncBatchNormEqualsBatchNormOnTheWholeBatch() throws Exception {
        Generator gen = new Generator(9);
        Tensor x = Tensor.randn(gen, ROWS, C).keep(), w = Tensor.randn(gen, ROWS, C).keep();
        Tensor wholeX = x.clone().keep().setRequiresGrad(true);
        BatchNorm1d whole = new BatchNorm1d(C);
        double expected = penalty(whole, wholeX, w);
        float[] expectedXGrad = wholeX.grad().toFloatArray();
        List<Tensor> params = whole.parameters();
        float[] expectedWeightGrad = params.get(0).grad().toFloatArray();
        assertNull(params.get(1).grad());

        List<Object[]> ranks = Ranks.local(2, Duration.ofSeconds(30), (rank, pg) -> {
            try (Scope s = Scope.open()) {
                SyncBatchNorm bn = new SyncBatchNorm(C, pg);
                Tensor mine = rows(x, rank * ROWS / 2, ROWS / 2).setRequiresGrad(true);
                double p = penalty(bn, mine, rows(w, rank * ROWS / 2, ROWS / 2));
                List<Tensor> ps = bn.parameters();
                return new Object[]{p, mine.grad().toFloatArray(), ps.get(0).grad().toFloatArray(), ps.get(1).grad()};
            }
        });
        assertEquals(expected, (double) ranks.get(0)[0] + (double) ranks.get(1)[0], 1e-4 * Math.abs(expected));
        for (int r = 0; r < 2; r++) {
            float[] xGrad = (float[]) ranks.get(r)[1];
            for (int i = 0; i < xGrad.length; i++)
                assertEquals(expectedXGrad[r * xGrad.length + i], xGrad[i], 1e-4, "rank " + r + " x.grad " + i);
        }
        assertNull(ranks.get(0)[3]);
        assertNull(ranks.get(1)[3]);
        for (int c = 0; c < C; c++) {
            assertEquals(expectedWeightGrad[c], ((float[]) ranks.get(0)[2])[c] + ((float[]) ranks.get(1)[2])[c], 1e-4, "weight grad " + c);
        }
    }
}
