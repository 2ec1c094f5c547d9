package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.pg.DeviceOnlyFakeGroup;
import io.ddp4j.ddp.pg.PeerFailureException;
import io.ddp4j.ddp.pg.local.LocalProcessGroup;
import io.ddp4j.ddp.reducer.CommHooks;
import io.ddp4j.ddp.reducer.IterationTimeline;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ReducerBehaviourTest {
    static final Duration T = Duration.ofSeconds(20);
    /** One bucket per Linear(8, 8) of {@link Models.Reversed}. */
    static final DdpOptions PER_LAYER = DdpOptions.defaults().withBucketCaps(List.of(200L));

    static void step(DistributedDataParallel ddp, int rank, int it) {
        try (Scope s = Scope.open()) {
            ddp.forward(Models.input(rank * 1000 + it, 4)).pow(2).mean().backward();
        }
    }

    @Test
    void gradientsAreViewsIntoTheBucketBuffers() throws Exception {
        Ranks.local(2, T, (r, pg) -> {
            var m = new Models.Reversed(1);
            try (var ddp = DistributedDataParallel.wrap(m, pg, PER_LAYER)) {
                for (int it = 0; it < 3; it++) {
                    m.zeroGrad();
                    step(ddp, r, it);
                    var names = ddp.reducer().bucketParameterNames();
                    for (int b = 0; b < names.size(); b++) {
                        var storage = ddp.reducer().bucketBuffer(b).flat().storage();
                        for (String n : names.get(b)) assertSame(storage, m.namedParameters().get(n).grad().storage(), n + " in bucket " + b);
                    }
                }
            }
            return null;
        });
    }

    @Test
    void bucketsLaunchInOrderEvenWhenReadyOutOfOrderAndAreRebuiltOnceFromTheObservedOrder() throws Exception {
        Ranks.local(2, T, (r, pg) -> {
            var m = new Models.Reversed(1);
            List<Integer> launches = Collections.synchronizedList(new ArrayList<>());
            var hook = CommHooks.allReduce();
            DdpOptions o = PER_LAYER.withCommHook((ctx, b) -> {
                launches.add(b.index());
                return hook.reduce(ctx, b);
            });
            try (var ddp = DistributedDataParallel.wrap(m, pg, o)) {
                var red = ddp.reducer();
                assertEquals(List.of(List.of("l2.weight", "l2.bias"), List.of("l1.weight", "l1.bias"), List.of("l0.weight", "l0.bias")).toString(),
                        sorted(red.bucketParameterNames()).toString(), "reverse registration order");
                step(ddp, r, 0);
                assertEquals(List.of(0, 1, 2), launches, "launched in bucket order");
                IterationTimeline t = ddp.timelines().getLast();
                var b = t.buckets();
                assertTrue(b.get(2).ready() < b.get(0).ready(), "l0's bucket (last) is ready first");
                assertTrue(b.get(2).launched() >= b.get(0).launched(), "but launched after bucket 0");
                assertFalse(red.hasRebuiltBuckets());
                launches.clear();
                step(ddp, r, 1);
                assertTrue(red.hasRebuiltBuckets());
                // observed: l0.weight, l0.bias, l1.weight, ...; a 256-byte weight fills a 200-byte cap alone
                var rebuilt = red.bucketParameterNames();
                assertEquals(List.of("l0.weight", "l0.bias", "l1.weight", "l1.bias", "l2.weight", "l2.bias"),
                        rebuilt.stream().flatMap(List::stream).toList(), "rebuilt in the observed order");
                assertEquals(List.of(List.of("l0.weight"), List.of("l0.bias", "l1.weight"), List.of("l1.bias", "l2.weight"), List.of("l2.bias")), rebuilt);
                assertEquals(List.of(0, 1, 2, 3), launches);
                b = ddp.timelines().getLast().buckets();
                for (int i = 1; i < b.size(); i++) assertTrue(b.get(i - 1).ready() <= b.get(i).ready(), "now ready in bucket order");
                for (int it = 2; it < 5; it++) step(ddp, r, it);
                assertEquals(rebuilt, red.bucketParameterNames(), "rebuilt once only");
                assertFalse(red.rebuildPending());
            }
            return null;
        });
    }

    private static List<List<String>> sorted(List<List<String>> names) {
        return names.stream().map(l -> l.stream().sorted(java.util.Comparator.reverseOrder()).toList()).toList();
    }

    @Test
    void aParameterWithoutGradientIsAnErrorThatNamesIt() throws Exception {
        List<LocalProcessGroup> groups = LocalProcessGroup.create(2, T);
        List<Throwable> f = Ranks.failures(groups, (r, pg) -> {
            try (var ddp = DistributedDataParallel.wrap(new Models.TwoHeads(1, 4), pg)) {
                step(ddp, r, 0);
            }
            return null;
        });
        for (Throwable t : f) {
            assertInstanceOf(IllegalStateException.class, t);
            assertTrue(t.getMessage().contains("[unused.weight, unused.bias]") && t.getMessage().contains("withFindUnusedParameters"), t.getMessage());
        }
        groups.forEach(LocalProcessGroup::close);
    }

    @Test
    void findUnusedParametersAndStaticGraphMarkThemReadyAndNameThem() throws Exception {
        for (DdpOptions o : List.of(DdpOptions.defaults().withFindUnusedParameters(true), DdpOptions.defaults().withStaticGraph(true))) {
            Ranks.local(2, T, (r, pg) -> {
                var m = new Models.TwoHeads(1, 4);
                try (var ddp = DistributedDataParallel.wrap(m, pg, o); var opt = new SGD(m.parameters(), SGD.options().lr(0.1))) {
                    for (int it = 0; it < 4; it++) {
                        opt.zeroGrad();
                        step(ddp, r, it);
                        opt.step();
                        assertEquals(List.of("unused.weight", "unused.bias"), ddp.stats().lastUnused());
                        assertEquals(0, m.namedParameters().get("unused.weight").grad().abs().sum().item());
                    }
                    assertEquals(o.staticGraph(), ddp.reducer().hasRebuiltBuckets(), "rebuilt with a static graph only");
                }
                return null;
            });
        }
    }

    /**
     * nccl takes device buffers only, so DDP stages its small host collectives through device
     * scratch: here a fake that asks for staging, over host memory, counts them.
     */
    @Test
    void controlCollectivesAreStagedWhenTheGroupAsksForIt() throws Exception {
        List<LocalProcessGroup> groups = LocalProcessGroup.create(2, T);
        List<DeviceOnlyFakeGroup> fakes = groups.stream().map(DeviceOnlyFakeGroup::acceptingHostBuffers).toList();
        List<float[]> weights = Ranks.run(2, fakes, (r, pg) -> {
            var m = new Models.Reversed(1);
            try (var ddp = DistributedDataParallel.wrap(m, pg, PER_LAYER)) {
                int afterConstruction = ((DeviceOnlyFakeGroup) pg).deviceOps.get();
                assertTrue(afterConstruction >= 2, "the model check ran staged: " + afterConstruction + " device ops");
                try (SGD opt = new SGD(m.parameters(), SGD.options().lr(0.1))) {
                    for (int it = 0; it < 3; it++) {
                        opt.zeroGrad();
                        step(ddp, r, it);
                        opt.step();
                    }
                }
                // after the first iteration the bucket order is broadcast (staged); the per-step rank
                // check is not done on such groups (nccl's watchdog covers a missing rank)
                assertEquals(afterConstruction + 1, ((DeviceOnlyFakeGroup) pg).deviceOps.get(), "one staged broadcast of the bucket order");
                return m.parameters().getFirst().toFloatArray();
            }
        });
        assertArrayEquals(weights.get(0), weights.get(1), "both ranks hold the same model");
        List<LocalProcessGroup> differing = LocalProcessGroup.create(2, T);
        List<Throwable> f = Ranks.failures(differing.stream().map(DeviceOnlyFakeGroup::acceptingHostBuffers).toList(),
                (r, pg) -> DistributedDataParallel.wrap(new Models.TwoHeads(1, r == 0 ? 4 : 5), pg));
        for (Throwable t : f) assertTrue(t.getMessage().contains("'used.weight float32[4, 8]' on rank 0 but 'used.weight float32[5, 8]' on rank 1"), t.getMessage());
        groups.forEach(LocalProcessGroup::close);
        differing.forEach(LocalProcessGroup::close);
    }

    @Test
    void modelsThatDifferAcrossRanksAreRefusedNamingTheParameterAndBothVersions() throws Exception {
        List<LocalProcessGroup> groups = LocalProcessGroup.create(2, T);
        List<Throwable> f = Ranks.failures(groups, (r, pg) -> DistributedDataParallel.wrap(new Models.TwoHeads(1, r == 0 ? 4 : 5), pg));
        for (Throwable t : f) {
            assertInstanceOf(IllegalArgumentException.class, t);
            assertTrue(t.getMessage().contains("'used.weight float32[4, 8]' on rank 0 but 'used.weight float32[5, 8]' on rank 1"), t.getMessage());
        }
        groups.forEach(LocalProcessGroup::close);
    }

    @Test
    void aRankThatSkipsABackwardIsAnErrorNotAHang() throws Exception {
        long t0 = System.nanoTime();
        List<Throwable> f = Ranks.tcp(2, Duration.ofSeconds(3), (r, pg) -> {
            var m = new Models.Reversed(1);
            try (var ddp = DistributedDataParallel.wrap(m, pg, PER_LAYER)) {
                for (int it = 0; it < 5; it++) {
                    if (r == 1 && it == 2) {
                        try (Scope s = Scope.open()) {
                            ddp.forward(Models.input(it, 4)); // forward, then no backward
                        }
                        continue;
                    }
                    step(ddp, r, it);
                }
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        double secs = (System.nanoTime() - t0) / 1e9;
        for (int r = 0; r < 2; r++) {
            Throwable t = f.get(r);
            assertNotNull(t, "rank " + r + " must fail");
            assertInstanceOf(PeerFailureException.class, t, String.valueOf(t));
            assertTrue(t.getMessage().contains("rank 1") || t.getMessage().contains("rank " + (1 - r)), t.getMessage());
        }
        assertTrue(f.get(0).getMessage().contains("bucket 0"), f.get(0).getMessage());
        assertTrue(secs < 15, "took " + secs + " s");
    }

    @Test
    void aRankThatStopsAfterForwardIsNamedWithinTheGroupTimeout() throws Exception {
        long t0 = System.nanoTime();
        List<Throwable> f = Ranks.tcp(2, Duration.ofSeconds(2), (r, pg) -> {
            var m = new Models.Reversed(1);
            try (var ddp = DistributedDataParallel.wrap(m, pg, PER_LAYER)) {
                step(ddp, r, 0);
                if (r == 1) {
                    try (Scope s = Scope.open()) {
                        ddp.forward(Models.input(9, 4));
                    }
                    Thread.sleep(4000); // "stuck" until rank 0 has given up
                    return null;
                }
                step(ddp, r, 1);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        Throwable t = f.get(0);
        assertInstanceOf(PeerFailureException.class, t, String.valueOf(t));
        assertEquals(List.of(1), ((PeerFailureException) t).suspectRanks());
        assertTrue(t.getMessage().contains("bucket 0 of 4 (64 float32 elements: l0.weight)"), t.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 15);
    }
}
