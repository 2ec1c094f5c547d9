package io.ddp4j.tensor.optim;

import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;

import static io.ddp4j.tensor.optim.OptimizerTestSupport.param;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Learning-rate schedules follow PyTorch's closed forms, starting at epoch 0 on construction. */
class LRSchedulerTest {

    private static SGD sgd(double lr) {
        return new SGD(List.of(param(1.0)), SGD.options().lr(lr));
    }

    /** The lr right after construction, then after each of {@code steps} calls to step(). */
    private static List<Double> sequence(LRScheduler scheduler, int steps) {
        List<Double> lrs = new ArrayList<>();
        lrs.add(scheduler.lastLr().get(0));
        for (int i = 0; i < steps; i++) {
            scheduler.step();
            lrs.add(scheduler.lastLr().get(0));
        }
        return lrs;
    }

    private static void assertSequence(IntToDoubleFunction expected, List<Double> actual) {
        for (int e = 0; e < actual.size(); e++) assertEquals(expected.applyAsDouble(e), actual.get(e), 1e-12, "epoch " + e);
    }

    @Test
    void stepLrDecaysByGammaEveryStepSizeEpochs() {
        List<Double> lrs = sequence(new StepLR(sgd(0.1), 3, 0.5), 9);
        // PyTorch: 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, ...
        assertSequence(e -> 0.1 * Math.pow(0.5, e / 3), lrs);
        assertEquals(0.025, lrs.get(6), 1e-15);
    }

    @Test
    void cosineAnnealingGoesFromBaseToEtaMinOverTMax() {
        List<Double> lrs = sequence(new CosineAnnealingLR(sgd(0.1), 10, 0.001), 10);
        assertSequence(e -> 0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * e / 10)) / 2, lrs);
        assertEquals(0.1, lrs.get(0), 1e-15);
        assertEquals(0.001, lrs.get(10), 1e-15);
    }

    @Test
    void linearLrWarmsUpThenHolds() {
        List<Double> lrs = sequence(LinearLR.warmup(sgd(0.2), 0.25, 4), 6);
        // 0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2
        assertSequence(e -> 0.2 * (0.25 + 0.75 * Math.min(e, 4) / 4.0), lrs);
        assertEquals(0.2, lrs.get(6), 1e-15);
        assertSequence(e -> 0.3 * (1.0 / 3 + (2.0 / 3) * Math.min(e, 5) / 5.0), sequence(new LinearLR(sgd(0.3)), 7));
    }

    @Test
    void everyGroupScalesItsOwnBaseLr() {
        SGD opt = new SGD(List.of(ParamGroup.of(List.of(param(1))), ParamGroup.of(List.of(param(1))).setLr(1.0)), SGD.options().lr(0.1));
        StepLR s = new StepLR(opt, 1, 0.5);
        s.step();
        assertEquals(List.of(0.05, 0.5), s.lastLr());
        assertEquals(List.of(0.1, 1.0), s.baseLrs());
        assertEquals(1, s.lastEpoch());
    }

    @Test
    void resumingSetsTheLrOfTheSavedEpoch() {
        SGD opt = sgd(0.1);
        CosineAnnealingLR fresh = new CosineAnnealingLR(opt, 8);
        fresh.resume(5, List.of(0.1));
        assertEquals(0.1 * (1 + Math.cos(Math.PI * 5 / 8)) / 2, opt.paramGroups().get(0).lr(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> fresh.resume(5, List.of(0.1, 0.2)));
    }

    @Test
    void schedulersRefuseMeaninglessArguments() {
        assertThrows(IllegalArgumentException.class, () -> new StepLR(sgd(0.1), 0));
        assertThrows(IllegalArgumentException.class, () -> new CosineAnnealingLR(sgd(0.1), 0));
        assertThrows(IllegalArgumentException.class, () -> new LinearLR(sgd(0.1), 0, 1, 5));
    }
}
