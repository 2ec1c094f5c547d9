package io.ddp4j.ddp.parallel;

import io.ddp4j.tensor.nn.Sequential;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DistributedDataParallelTest {
    static final int STEPS = 20, BATCH = 16;
    static final double LR = 0.05;
    /** Small caps so the MLP (940 KB of gradients) spreads over several buckets. */
    static final DdpOptions SMALL_BUCKETS = DdpOptions.defaults().withBucketCaps(List.of(4_000L, 100_000L));

    static Map<String, float[]> reference(String kind) {
        Sequential m = model(kind);
        Training.train(m, m::forward, STEPS, BATCH, 0, BATCH, LR);
        Map<String, float[]> s = Training.snapshot(m);
        m.close();
        return s;
    }

    static Sequential model(String kind) {
        return Training.model(kind, 42);
    }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 4})
    void mlpOverInProcessGroupMatchesOneProcessOnTheWholeBatch(int world) throws Exception {
        Map<String, float[]> ref = reference("mlp");
        List<Map<String, float[]>> got = Ranks.local(world, Duration.ofSeconds(30), (r, pg) -> {
            // different seeds per rank: construction must broadcast rank 0's parameters
            Sequential m = Training.model("mlp", 42 + r);
            try (var ddp = DistributedDataParallel.wrap(m, pg, SMALL_BUCKETS)) {
                assertTrue(ddp.reducer().bucketBytes().size() >= 3, "buckets " + ddp.reducer().bucketBytes());
                int n = BATCH / world;
                Training.train(m, ddp::forward, STEPS, BATCH, r * n, n, LR);
                assertTrue(ddp.reducer().hasRebuiltBuckets());
                return Training.snapshot(m);
            }
        });
        for (int r = 0; r < world; r++) {
            double d = Training.maxAbsDiff(ref, got.get(r));
            assertTrue(d < 1e-5, "rank " + r + " differs from the single process by " + d);
        }
    }

    @Test
    void mlpOverTcpMatchesOneProcessOnTheWholeBatch() throws Exception {
        Map<String, float[]> ref = reference("mlp");
        int world = 2;
        List<Map<String, float[]>> got = Ranks.tcp(world, Duration.ofSeconds(30), (r, pg) -> {
            Sequential m = Training.model("mlp", 42 + r);
            try (var ddp = DistributedDataParallel.wrap(m, pg, SMALL_BUCKETS)) {
                int n = BATCH / world;
                Training.train(m, ddp::forward, STEPS, BATCH, r * n, n, LR);
                return Training.snapshot(m);
            }
        });
        for (int r = 0; r < world; r++) assertTrue(Training.maxAbsDiff(ref, got.get(r)) < 1e-5);
    }
}
