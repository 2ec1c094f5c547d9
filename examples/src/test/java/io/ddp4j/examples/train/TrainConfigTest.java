package io.ddp4j.examples.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TrainConfigTest {

    @Test
    void stridedShardsCoverEverySampleExactlyOnceWithoutPadding() {
        for (int world : new int[] {1, 2, 3, 4, 7}) {
            int n = 10_001;
            int[] seen = new int[n];
            for (int r = 0; r < world; r++) {
                StridedSampler s = new StridedSampler(n, r, world);
                int[] idx = s.indices();
                assertEquals(s.size(), idx.length);
                for (int i : idx) seen[i]++;
            }
            assertTrue(Arrays.stream(seen).allMatch(c -> c == 1), "world " + world);
        }
        assertArrayEquals(new int[] {1, 4}, new StridedSampler(5, 1, 3).indices());
        assertEquals(0, new StridedSampler(2, 3, 4).size(), "a rank past the end gets nothing");
        assertArrayEquals(IntStream.range(0, 3).toArray(), new StridedSampler(3, 0, 1).indices());
    }

    @Test
    void theGlobalBatchMustSplitEvenlyOverTheProcesses() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.defaults().withParallelism(new TrainConfig.Parallelism(3, "tcp", "ddp")));
        assertTrue(e.getMessage().contains("--batch-size 128 is the global batch and must split evenly over --nproc 3"), e.getMessage());
        assertEquals(4, TrainConfig.defaults().withParallelism(new TrainConfig.Parallelism(4, "tcp", "ddp")).parallel().nproc());
    }

    @Test
    void unknownModesAndBackendsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainConfig.Parallelism(2, "gloo", "ddp"))
                .getMessage().contains("--backend must be nccl, tcp or mpi, got gloo"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainConfig.Parallelism(2, "tcp", "fsdp"))
                .getMessage().contains("--mode must be ddp or dp, got fsdp"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new TrainConfig.Parallelism(0, "tcp", "ddp"))
                .getMessage().contains("--nproc must be >= 1, got 0"));
    }
}
