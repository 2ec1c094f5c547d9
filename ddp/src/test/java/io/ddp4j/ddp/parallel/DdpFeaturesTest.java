package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.reducer.CommHook;
import io.ddp4j.ddp.reducer.CommHooks;
import io.ddp4j.ddp.reducer.IterationTimeline;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.*;

class DdpFeaturesTest {
    static final Duration T = Duration.ofSeconds(20);
    static final DdpOptions SMALL = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));

    /** k micro-batches under noSync (the last one synchronised), loss / k, equal one step on their union. */
    @Test
    void noSyncAccumulationEqualsOneStepOnTheUnion() throws Exception {
        int world = 2, k = 3, micro = 4, steps = 3;
        double lr = 0.05;
        int batch = world * k * micro;
        // reference: one process, each step on the whole batch
        Map<String, float[]> want = Training.reference("mlp", steps, batch, lr);
        List<Map<String, float[]>> got = Ranks.local(world, T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, SMALL); var opt = new SGD(m.parameters(), SGD.options().lr(lr))) {
                CrossEntropyLoss loss = new CrossEntropyLoss();
                for (int s = 0; s < steps; s++) {
                    opt.zeroGrad();
                    for (int i = 0; i < k; i++) {
                        try (Scope sc = Scope.open()) {
                            int from = r * k * micro + i * micro;
                            Tensor x = Training.inputs(1, s, batch).narrow(0, from, micro);
                            Tensor y = Training.targets(1, s, batch).narrow(0, from, micro);
                            if (i < k - 1) {
                                try (var ns = ddp.noSync()) {
                                    loss.forward(ddp.forward(x), y).div(k).backward();
                                }
                            } else {
                                loss.forward(ddp.forward(x), y).div(k).backward();
                            }
                        }
                    }
                    opt.step();
                }
                assertEquals(steps, ddp.stats().iterations(), "only the last micro-batch of each step synchronises");
            }
            return Training.snapshot(m);
        });
        for (var g : got) assertTrue(Training.maxAbsDiff(want, g) < 1e-5, "noSync differs by " + Training.maxAbsDiff(want, g));
    }

    static Map<String, float[]> trainWith(int world, DdpOptions o) throws Exception {
        return Ranks.local(world, T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, o)) {
                int n = 16 / world;
                Training.train(m, ddp::forward, 20, 16, r * n, n, 0.05);
            }
            return Training.snapshot(m);
        }).getFirst();
    }

    /**
     * The documented tolerance of the compression hooks on this job (20 SGD steps, lr 0.05): bf16
     * (8-bit mantissa) within 5e-4 of the uncompressed result, fp16 (11-bit) within 1e-4 (measured: 7.5e-5 and 9.4e-6).
     */
    @Test
    void compressionHooksStayWithinTheirToleranceAndAUserHookRuns() throws Exception {
        Map<String, float[]> plain = trainWith(2, SMALL);
        double bf16 = Training.maxAbsDiff(plain, trainWith(2, SMALL.withCommHook(CommHooks.bf16Compress())));
        double fp16 = Training.maxAbsDiff(plain, trainWith(2, SMALL.withCommHook(CommHooks.fp16Compress())));
        System.out.printf("compression after 20 steps: bf16 max abs diff %.3g, fp16 %.3g%n", bf16, fp16);
        assertTrue(bf16 > 0 && bf16 < 5e-4, "bf16 " + bf16);
        assertTrue(fp16 > 0 && fp16 < 1e-4, "fp16 " + fp16);

        // a user hook: all-reduce the sum, then divide on the completion thread
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CommHook mine = (ctx, bucket) -> {
            seen.add(bucket.index());
            var w = bucket.buffer().allReduce(ctx.group(), io.ddp4j.ddp.pg.ReduceOp.SUM);
            return ctx.after(w, () -> bucket.flat().mulInPlace(1.0 / ctx.divisor()));
        };
        double user = Training.maxAbsDiff(plain, trainWith(2, SMALL.withCommHook(mine)));
        assertTrue(user < 1e-6, "user hook " + user);
        assertEquals(2 * (3 + 19 * 4), seen.size(), "2 ranks, 20 steps: 3 buckets, then 4 once rebuilt");
    }

    @Test
    void timelinesStatsAndChromeTrace(@TempDir Path dir) throws Exception {
        List<ReducerStats> stats = Ranks.tcp(2, T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, SMALL)) {
                Training.train(m, ddp::forward, 8, 16, r * 8, 8, 0.05);
                for (IterationTimeline t : ddp.timelines()) {
                    assertEquals(t.iteration() == 1 ? 3 : 4, t.buckets().size(), "3 buckets, 4 once rebuilt from the observed order");
                    long prevLaunch = 0;
                    for (var b : t.buckets()) {
                        assertTrue(t.backwardStart() <= b.ready() && b.ready() <= b.launched() && b.launched() <= b.completed(), b.toString());
                        assertTrue(b.launched() >= prevLaunch, "launched in order");
                        assertTrue(b.completed() <= t.finished());
                        prevLaunch = b.launched();
                    }
                    assertTrue(t.commStart(0) < t.backwardEnd(), "the first bucket's all-reduce starts before backward ends");
                    assertTrue(t.backwardEnd() <= t.finished());
                }
                if (r == 0) {
                    ddp.writeChromeTrace(dir.resolve("trace.json"));
                }
                return ddp.stats();
            }
        });
        ReducerStats s = stats.getFirst();
        System.out.println("tcp world 2, MLP, 3 buckets: " + s);
        assertEquals(8, s.iterations());
        assertEquals(4, s.bucketBytes().size());
        assertTrue(s.rebuilt());
        assertTrue(s.hiddenFraction() > 0 && s.hiddenFraction() <= 1, s.toString());
        assertTrue(s.meanCommMs() > 0 && s.meanExposedMs() >= 0);
        String trace = Files.readString(dir.resolve("trace.json"));
        assertTrue(trace.startsWith("{\"traceEvents\":["));
        assertTrue(trace.contains("\"name\":\"allreduce bucket 0\"") && trace.contains("\"name\":\"backward #8\"") && trace.contains("\"ph\":\"X\""));
        assertEquals(trace.chars().filter(c -> c == '{').count(), trace.chars().filter(c -> c == '}').count());
    }

    @Test
    void aStalledRankMakesTheOthersWarnNamingTheBuckets() throws Exception {
        List<String> warnings = new CopyOnWriteArrayList<>();
        DdpOptions o = SMALL.withStallWarning(Duration.ofMillis(150), 3, warnings::add);
        Ranks.local(2, T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, o)) {
                CrossEntropyLoss loss = new CrossEntropyLoss();
                for (int s = 0; s < 6; s++) {
                    try (Scope sc = Scope.open()) {
                        Tensor out = ddp.forward(Training.inputs(1, s, 8));
                        if (r == 1 && s == 4) Thread.sleep(1200);
                        loss.forward(out, Training.targets(1, s, 8)).backward();
                    }
                }
            }
            return null;
        });
        assertFalse(warnings.isEmpty());
        String w = warnings.getFirst();
        assertTrue(w.startsWith("DDP stall on rank 0") && w.contains("iteration 5") && w.contains("reductions launched but not completed: bucket 0"), w);
    }

    @Test
    void joinLetsRanksWithFewerBatchesShadowTheOthers() throws Exception {
        int world = 2, rows = 4;
        int[] batches = {5, 3};
        double lr = 0.05;
        // reference: steps with both ranks are the mean over both shards; steps with rank 0 alone count half (divided by the world)
        Sequential ref = Training.model("mlp", 42);
        try (var opt = new SGD(ref.parameters(), SGD.options().lr(lr))) {
            CrossEntropyLoss loss = new CrossEntropyLoss();
            for (int s = 0; s < 5; s++) {
                try (Scope sc = Scope.open()) {
                    opt.zeroGrad();
                    int n = s < 3 ? 2 * rows : rows;
                    Tensor l = loss.forward(ref.forward(Training.inputs(1, s, 2 * rows).narrow(0, 0, n)), Training.targets(1, s, 2 * rows).narrow(0, 0, n));
                    (s < 3 ? l : l.mul(0.5)).backward();
                    opt.step();
                }
            }
        }
        Map<String, float[]> want = Training.snapshot(ref);
        List<Map<String, float[]>> got = Ranks.local(world, T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, SMALL); var opt = new SGD(m.parameters(), SGD.options().lr(lr))) {
                CrossEntropyLoss loss = new CrossEntropyLoss();
                try (var join = ddp.join()) {
                    for (int s = 0; s < batches[r]; s++) {
                        try (Scope sc = Scope.open()) {
                            opt.zeroGrad();
                            loss.forward(ddp.forward(Training.inputs(1, s, 2 * rows).narrow(0, r * rows, rows)),
                                    Training.targets(1, s, 2 * rows).narrow(0, r * rows, rows)).backward();
                            opt.step();
                        }
                    }
                }
            }
            return Training.snapshot(m);
        });
        assertEquals(0, Training.maxAbsDiff(got.get(0), got.get(1)), "replicas end equal");
        assertTrue(Training.maxAbsDiff(want, got.get(0)) < 1e-5, "join differs by " + Training.maxAbsDiff(want, got.get(0)));
    }
}
