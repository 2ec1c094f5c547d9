package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Ranks that disagree, stall or leave make the others fail fast with a message naming them. */
class TcpFailureTest {
    static final Duration TIMEOUT = Duration.ofMillis(1500);

    @Test
    void differentCollectivesAtTheSameStepFailOnBothRanksWithBothVersions() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            List<Throwable> errors = c.failures((r, pg) -> {
                HostBuffer b = HostBuffer.allocate(arena, DType.F32, 10);
                if (r == 0) pg.allReduce(b, ReduceOp.SUM).await();
                else pg.broadcast(b, 0).await();
                return null;
            });
            for (Throwable e : errors) {
                assertInstanceOf(PeerFailureException.class, e);
                String m = e.getMessage();
                assertTrue(m.contains("allReduce #1 (sum, float32, 10 elements)") && m.contains("broadcast #1 (root 0, float32, 10 elements)"), m);
            }
            assertTrue(errors.stream().anyMatch(e -> e instanceof CollectiveMismatchException), "at least one rank detects it itself");
        }
    }

    @Test
    void aDifferentSizeOrDtypeIsAMismatchTooEvenOnTheRing() throws Exception {
        TcpOptions ring = TcpOptions.defaults(TIMEOUT).withSegmentBytes(64).withDirectThresholdBytes(0);
        try (LocalCluster c = new LocalCluster(3, ring); Arena arena = Arena.ofShared()) {
            List<Throwable> errors = c.failures((r, pg) -> {
                HostBuffer b = HostBuffer.allocate(arena, r == 2 ? DType.I32 : DType.F32, r == 1 ? 1000 : 999);
                pg.allReduce(b, ReduceOp.MAX).await();
                return null;
            });
            for (int r = 0; r < 3; r++) {
                assertNotNull(errors.get(r), "rank " + r + " must fail");
                assertTrue(errors.get(r).getMessage().contains("mismatch"), errors.get(r).getMessage());
            }
        }
    }

    @Test
    void aRankThatNeverArrivesIsNamedByEveryOtherRankWithinTwiceTheTimeout() throws Exception {
        try (LocalCluster c = new LocalCluster(4, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            long t0 = System.nanoTime();
            List<Throwable> errors = c.failures((r, pg) -> {
                pg.barrier().await();
                if (r == 2) return null; // stalls: skips the collective the others run
                HostBuffer b = HostBuffer.allocate(arena, DType.F32, 1 << 20); // ring-sized
                pg.allReduce(b, ReduceOp.SUM).await(Duration.ofSeconds(10));
                return null;
            });
            long ms = (System.nanoTime() - t0) / 1_000_000;
            for (int r : new int[] {0, 1, 3}) {
                Throwable e = errors.get(r);
                assertInstanceOf(PeerFailureException.class, e, "rank " + r);
                assertEquals(List.of(2), ((PeerFailureException) e).suspectRanks(), "rank " + r + ": " + e.getMessage());
                assertTrue(e.getMessage().contains("rank 2 has not reached allReduce #2"), "rank " + r + ": " + e.getMessage());
            }
            assertTrue(ms < 2 * TIMEOUT.toMillis() + 1000, "took " + ms + " ms");
        }
    }

    @Test
    void aRankThatLeftIsNamedAndLaterOpsFailFast() throws Exception {
        try (LocalCluster c = new LocalCluster(3, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            List<Throwable> errors = c.failures((r, pg) -> {
                pg.barrier().await();
                if (r == 1) {
                    pg.close();
                    return null;
                }
                HostBuffer b = HostBuffer.allocate(arena, DType.I64, 5);
                try {
                    pg.allReduce(b, ReduceOp.SUM).await();
                    fail("rank " + r + ": allReduce without rank 1 cannot succeed");
                } catch (PeerFailureException e) {
                    assertTrue(e.getMessage().contains("rank 1") && e.getMessage().contains("left the group"), e.getMessage());
                }
                long t = System.nanoTime();
                Work later = pg.barrier();
                var e = assertThrows(PeerFailureException.class, later::await);
                assertTrue(e.getMessage().contains("failed earlier"), e.getMessage());
                assertTrue((System.nanoTime() - t) / 1_000_000 < 500, "a broken group fails at once");
                assertFalse(later.isSuccess());
                assertTrue(later.exception().isPresent());
                throw e;
            });
            assertNull(errors.get(1));
            assertNotNull(errors.get(0));
            assertNotNull(errors.get(2));
        }
    }

    @Test
    void workIsAsynchronousAndAwaitTimesOutNamingTheOp() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(Duration.ofSeconds(5)))) {
            c.failures((r, pg) -> {
                if (r == 0) {
                    Work w = pg.barrier();
                    var e = assertThrows(DistributedTimeoutException.class, () -> w.await(Duration.ofMillis(200)));
                    assertTrue(e.getMessage().contains("barrier #1") && e.getMessage().contains("rank 0"), e.getMessage());
                    assertFalse(w.isCompleted());
                    w.await();
                    assertTrue(w.isSuccess());
                } else {
                    Thread.sleep(600);
                    pg.barrier().await();
                }
                return null;
            }).forEach(t -> assertNull(t, String.valueOf(t)));
        }
    }

    @Test
    void badArgumentsAreRejectedWhenIssuedNotOnTheWorker() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                HostBuffer f = HostBuffer.allocate(arena, DType.F32, 4);
                assertThrows(IllegalArgumentException.class, () -> pg.broadcast(f, 2));
                assertThrows(IllegalArgumentException.class, () -> pg.allGather(f, f));
                assertThrows(IllegalArgumentException.class, () -> pg.reduceScatter(f, f, ReduceOp.SUM));
                assertThrows(IllegalArgumentException.class, () -> pg.allReduce(HostBuffer.allocate(arena, DType.BOOL, 2), ReduceOp.AVG));
                assertThrows(IllegalArgumentException.class, () -> pg.send(f, r, 0));
                assertThrows(IllegalArgumentException.class, () -> new HostBuffer(f.segment(), DType.F64, 4));
                pg.barrier().await(); // the group is still healthy
                return null;
            });
        }
    }
}
