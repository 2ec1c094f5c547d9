package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Who runs a tcp op: the group's I/O thread, or the thread that awaits it before the I/O thread
 * got to it. Either way ops run in issue order and complete without anyone waiting on them.
 */
class TcpWorkSchedulingTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static void fill(HostBuffer b, float v) {
        for (long i = 0; i < b.count(); i++) b.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
    }

    private static float at(HostBuffer b, long i) {
        return b.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }

    @Test
    void smallOpsThatNobodyAwaitsStillCompleteOnTheirOwn() throws Exception {
        try (LocalCluster c = new LocalCluster(3, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                List<HostBuffer> bufs = new ArrayList<>();
                List<Work> works = new ArrayList<>();
                for (int k = 0; k < 5; k++) {
                    HostBuffer b = HostBuffer.allocate(arena, DType.F32, 16);
                    fill(b, r + k);
                    bufs.add(b);
                    works.add(pg.allReduce(b, ReduceOp.SUM));
                }
                long until = System.nanoTime() + 5_000_000_000L;
                while (works.stream().anyMatch(w -> !w.isCompleted()) && System.nanoTime() < until) Thread.sleep(1);
                for (int k = 0; k < 5; k++) {
                    assertTrue(works.get(k).isSuccess(), "op " + k + " on rank " + r + ": " + works.get(k));
                    assertEquals(3 * k + 3, at(bufs.get(k), 15), "op " + k + " on rank " + r);
                }
                return null;
            });
        }
    }

    @Test
    void awaitingALaterOpFirstStillRunsEveryOpInIssueOrder() throws Exception {
        try (LocalCluster c = new LocalCluster(4, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                // a large op (started by the I/O thread at once), then a small op on the first
                // elements of the same memory, awaited first: SUM then MAX gives 1+2+3+4 = 10,
                // MAX then SUM would give 4 * 4 = 16
                HostBuffer big = HostBuffer.allocate(arena, DType.F32, 1 << 18);
                fill(big, r + 1);
                Work sum = pg.allReduce(big, ReduceOp.SUM);
                Work max = pg.allReduce(big.slice(0, 4), ReduceOp.MAX);
                max.await();
                assertTrue(sum.isSuccess(), "the earlier op must be done when a later one is: " + sum);
                sum.await();
                assertEquals(10f, at(big, 0), "first element on rank " + r);
                assertEquals(10f, at(big, (1 << 18) - 1), "last element on rank " + r);
                return null;
            });
        }
    }

    @Test
    void awaitedOpsInterleavedWithUnawaitedOnesAllComplete() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                for (int k = 0; k < 200; k++) {
                    HostBuffer b = HostBuffer.allocate(arena, DType.F32, 4 + k);
                    fill(b, 1);
                    Work w = pg.allReduce(b, ReduceOp.SUM);
                    if (k % 3 == 0) w.await();
                    else if (k % 3 == 1) w.await(TIMEOUT);
                    if (k % 3 != 2) assertEquals(2f, at(b, 3 + k), "op " + k + " on rank " + r);
                }
                pg.barrier().await();
                return null;
            });
        }
    }
}
