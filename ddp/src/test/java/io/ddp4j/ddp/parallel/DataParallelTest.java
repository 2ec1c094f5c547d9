package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.nn.SyncBatchNorm;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DataParallelTest {
    @ParameterizedTest(name = "{0}, {1} replicas")
    @CsvSource({"mlp, 2, 16", "mlp, 4, 16", "small-cnn-bn, 2, 8", "small-cnn-bn, 4, 8", "mlp, 3, 16"})
    void replicasEndWithTheParametersOfOneProcessOnTheWholeBatch(String kind, int replicas, int batch) {
        int steps = 20;
        double lr = 0.05;
        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);

        long[] seed = {100};
        var options = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));
        // replica 0 has the reference's initial values, the others get them from it; batch norm is synchronised over the replicas' group
        DataParallel made = kind.endsWith("-bn")
                ? DataParallel.create(pg -> SyncBatchNorm.convert(Training.model(kind, pg.rank() == 0 ? 42 : seed[0]++), pg), replicas, options)
                : DataParallel.create(Training.model(kind, 42), () -> Training.model(kind, seed[0]++), replicas, options);
        try (DataParallel dp = made) {
            Training.trainLikeTheReference(dp, want, 1e-5, steps, batch, lr, output -> {});
        }
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.Timeout(60)
    void aReplicasFailureReachesTheCallerAtOnceAndIsTheOneReported() throws Exception {
        int[] seed = {1};
        DataParallel dp = DataParallel.create(new Sequential(new io.ddp4j.tensor.nn.Linear(4, 3, true, new io.ddp4j.tensor.Generator(42))),
                () -> new Sequential(new io.ddp4j.tensor.nn.Linear(4, 3, true, new io.ddp4j.tensor.Generator(seed[0]++))), 2);
        Tensor x = Tensor.randn(new io.ddp4j.tensor.Generator(5), 4, 4), y = Tensor.randn(new io.ddp4j.tensor.Generator(6), 4, 3);
        long start = System.nanoTime();
        // replica 1 fails before its backward; replica 0 is then waiting for it in an all-reduce
        var e = assertThrows(IllegalStateException.class, () -> dp.step(x, y, (out, t) -> {
            if (Thread.currentThread().getName().endsWith("replica1")) throw new IllegalStateException("boom in replica 1");
            Tensor d = out.sub(t);
            return d.mul(d).mean();
        }));
        assertEquals("boom in replica 1", e.getMessage());
        assertTrue(System.nanoTime() - start < 20_000_000_000L, "the waiting replica gave up at once, not at the group's timeout");
        var again = assertThrows(IllegalStateException.class, () -> dp.step(x, y, (out, t) -> out.sub(t).mean()));
        assertTrue(again.getMessage().contains("a replica failed earlier"), again.getMessage());
        dp.close();
    }

    @org.junit.jupiter.api.Test
    void devicesThatNoGroupServesAreRefusedBeforeAnythingIsMoved() {
        var options = DdpOptions.defaults();
        Sequential m = Training.model("mlp", 1);
        try {
            var mixed = assertThrows(IllegalArgumentException.class,
                    () -> DataParallel.create(m, () -> Training.model("mlp", 2), List.of(io.ddp4j.tensor.Device.CPU, io.ddp4j.tensor.Device.cuda(0)), options));
            assertTrue(mixed.getMessage().contains("mix devices") && mixed.getMessage().contains("cuda:0"), mixed.getMessage());
            var twoOnOne = assertThrows(IllegalArgumentException.class,
                    () -> DataParallel.create(m, () -> Training.model("mlp", 2),
                            List.of(io.ddp4j.tensor.Device.cuda(0), io.ddp4j.tensor.Device.cuda(1), io.ddp4j.tensor.Device.cuda(1)), options));
            assertTrue(twoOnOne.getMessage().contains("mix devices"), twoOnOne.getMessage());
            var elsewhere = assertThrows(IllegalArgumentException.class,
                    () -> DataParallel.create(m, () -> Training.model("mlp", 2), List.of(io.ddp4j.tensor.Device.cuda(0), io.ddp4j.tensor.Device.cuda(0)), options));
            assertTrue(elsewhere.getMessage().contains("on cpu but the first device is cuda:0"), elsewhere.getMessage());
            assertEquals(io.ddp4j.tensor.Device.CPU, m.parameters().getFirst().device(), "the module was not moved");
        } finally {
            m.close();
        }
    }

    @org.junit.jupiter.api.Test
    void replicasOnAListOfCpuDevicesTrainAsWithACount() {
        Sequential m = Training.model("mlp", 42);
        long[] seed = {7};
        try (DataParallel dp = DataParallel.create(m, () -> Training.model("mlp", seed[0]++), List.of(io.ddp4j.tensor.Device.CPU, io.ddp4j.tensor.Device.CPU),
                DdpOptions.defaults());
             var opt = dp.optimizer(ps -> new SGD(ps, SGD.options().lr(0.05)))) {
            CrossEntropyLoss loss = new CrossEntropyLoss();
            try (Scope scope = Scope.open()) {
                opt.zeroGrad();
                var r = dp.step(Training.inputs(1, 0, 8), Training.targets(1, 0, 8), loss::forward);
                assertEquals(8, r.output().size(0));
                opt.step();
            }
            assertEquals(0, Training.maxAbsDiff(Training.snapshot(dp.replicas().get(0)), Training.snapshot(dp.replicas().get(1))));
        } finally {
            m.close();
        }
    }
}
