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
    @Test
    void anOpIsSeenDoneAsSoonAsItIsNotWhenTheOpsQueuedAfterItAreDone() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                // DDP's pattern: buckets issued one after another, a second thread awaiting the first.
                // Rank 1 issues the second op 600 ms late, so on rank 0 the I/O thread runs the first
                // op and then holds on to the second; the first op's waiter must see it finish
                // without waiting for the second.
                HostBuffer first = HostBuffer.allocate(arena, DType.F32, 1 << 18), second = HostBuffer.allocate(arena, DType.F32, 1 << 18);
                fill(first, r + 1);
                fill(second, r + 1);
                if (r == 1) Thread.sleep(100);
                Work a = pg.allReduce(first, ReduceOp.SUM);
                if (r == 1) Thread.sleep(600);
                Work b = pg.allReduce(second, ReduceOp.SUM);
                if (r == 0) {
                    java.util.concurrent.CompletableFuture<Long> waiter = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        a.await();
                        return System.nanoTime();
                    });
                    long firstSeen = waiter.get();
                    assertTrue(!b.isCompleted(), "the first op was seen done only after the second one");
                    b.await();
                    long gap = System.nanoTime() - firstSeen;
                    assertTrue(gap > 300_000_000L, "the second op finished " + gap / 1_000_000 + " ms after the first was seen done; rank 1 issued it 600 ms late");
                } else {
                    a.await();
                    b.await();
                }
                assertEquals(3f, at(first, 0), "first op on rank " + r);
                assertEquals(3f, at(second, (1 << 18) - 1), "second op on rank " + r);
                return null;
            });
        }
    }
}
