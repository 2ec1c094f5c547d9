package io.ddp4j.ddp.pg.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The nccl group's logic on a {@link FakeNcclDriver}: what it enqueues in which order, when a
 * work completes, the fingerprint check, and the watchdog's state machine driven by a fake clock
 * (no watchdog thread: the test calls {@link NcclProcessGroup#watchdogPoll()} itself).
 */
class NcclProcessGroupTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long CALLER = 0x77;

    /** The other rank called the same collective on 99 elements (the count sits at byte 16 of a fingerprint). */
    private static final java.util.function.BiFunction<Integer, byte[], byte[]> PEER_HAS_99_ELEMENTS = (rank, mine) -> {
        MemorySegment.ofArray(mine).set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 16, 99L);
        return mine;
    };

    private FakeNcclDriver driver;
    private NcclProcessGroup pg;

    private NcclProcessGroup group(int rank, int size, int slots) {
        driver = new FakeNcclDriver(rank, size);
        List<Integer> ranks = java.util.stream.IntStream.range(0, size).boxed().toList();
        pg = new NcclProcessGroup("test", ranks, driver, TIMEOUT, driver::now, null, slots);
        return pg;
    }

    private NcclProcessGroup group(int rank, int size) {
        return group(rank, size, 8);
    }

    @AfterEach
    void closeGroup() {
        if (pg != null) pg.close();
    }

    private static DeviceBuffer f32(long count) {
        return new DeviceBuffer(0x10000, DType.F32, count, 0);
    }

    // ---- order of what an op enqueues -----------------------------------------------------------

    @Test
    void aCollectiveWaitsForTheCallerThenGathersItsFingerprintThenRunsThenRecordsItsEnd() {
        group(0, 2);
        driver.clearCalls();
        Work w = pg.allReduce(f32(1000), ReduceOp.SUM, CALLER);
        assertEquals(List.of("recordEvent", "streamWaitEvent", "copyHostToDevice", "allGather", "copyDeviceToHost", "recordEvent",
                "allReduce", "recordEvent"), driver.callNames());
        assertTrue(driver.calls.get(0).endsWith(", " + CALLER + ")"), "the start event is recorded on the caller's stream: " + driver.calls);
        assertTrue(driver.calls.get(1).startsWith("streamWaitEvent(" + pg.commStream() + ","), "the comm stream waits for it: " + driver.calls);
        assertEquals("allGather(32, type " + Nccl.ncclUint8 + ")", driver.calls.get(3));
        assertEquals("copyDeviceToHost(64)", driver.calls.get(4), "both ranks' 32-byte fingerprints come back");
        assertEquals("allReduce(1000, type " + Nccl.ncclFloat32 + ", op " + Nccl.ncclSum + ")", driver.calls.get(6));
        assertTrue(driver.calls.get(7).endsWith(", " + pg.commStream() + ")"), "the end event is on the comm stream");
        w.await(Duration.ofSeconds(5));
        assertTrue(w.isSuccess());
        assertEquals("nccl allReduce #0 (sum, float32, 1000 elements) on rank 0 of 2 (nccl group 'test', cuda:0)", w.description());
    }

    @Test
    void theCurrentStreamIsTheDefaultCallerAndTheLegacyStreamWithoutOne() {
        group(0, 1);
        driver.clearCalls();
        pg.barrier().await(Duration.ofSeconds(5));
        assertTrue(driver.calls.get(0).endsWith(", " + CurrentStream.LEGACY_DEFAULT + ")"), driver.calls.toString());
        driver.clearCalls();
        try (var s = CurrentStream.use(CALLER)) {
            pg.broadcast(f32(4), 0).await(Duration.ofSeconds(5));
        }
        assertTrue(driver.calls.get(0).endsWith(", " + CALLER + ")"), driver.calls.toString());
        assertEquals(CurrentStream.LEGACY_DEFAULT, CurrentStream.get(), "the scope restores the previous stream");
    }

    @Test
    void barrierIsTheFingerprintGatherAlone() {
        group(0, 2);
        driver.clearCalls();
        pg.barrier(CALLER).await(Duration.ofSeconds(5));
        assertEquals(List.of("recordEvent", "streamWaitEvent", "copyHostToDevice", "allGather", "copyDeviceToHost", "recordEvent", "recordEvent"),
                driver.callNames());
    }

    @Test
    void pointToPointOpsHaveNoFingerprintAndTheirOwnNumbering() {
        group(0, 2);
        pg.allReduce(f32(1), ReduceOp.MAX, CALLER);
        driver.clearCalls();
        Work s = pg.send(f32(10), 1, 7, CALLER);
        assertEquals(List.of("recordEvent", "streamWaitEvent", "send", "recordEvent"), driver.callNames());
        assertEquals("nccl send #0 (to 1, tag 7, float32, 10 elements) on rank 0 of 2 (nccl group 'test', cuda:0)", s.description());
        assertTrue(pg.recv(f32(10), 1, 7, CALLER).description().startsWith("nccl recv #1 (from 1"));
    }

    @Test
    void eachOpMapsItsDtypeAndReduction() {
        group(0, 2);
        driver.clearCalls();
        DeviceBuffer in = new DeviceBuffer(0x1000, DType.BF16, 8, 0), out = new DeviceBuffer(0x2000, DType.BF16, 4, 0);
        pg.reduceScatter(out, in, ReduceOp.AVG, CALLER);
        pg.allReduce(new DeviceBuffer(0x3000, DType.BOOL, 3, 0), ReduceOp.SUM, CALLER);
        assertTrue(driver.calls.contains("reduceScatter(4)"), driver.calls.toString());
        assertTrue(driver.calls.contains("allReduce(3, type " + Nccl.ncclUint8 + ", op " + Nccl.ncclMax + ")"), "bool or is uint8 max: " + driver.calls);
    }

    // ---- completion and stream waits ------------------------------------------------------------

    @Test
    void aWorkCompletesWhenTheDeviceHasRunItsEndEvent() {
        group(0, 1);
        driver.hold();
        Work w = pg.allReduce(f32(5), ReduceOp.SUM, CALLER);
        assertFalse(w.isCompleted());
        assertFalse(w.isSuccess());
        assertEquals(1, pg.pendingCount());
        var timeout = assertThrows(DistributedTimeoutException.class, () -> w.await(Duration.ofMillis(20)));
        assertTrue(timeout.getMessage().contains("allReduce #0") && timeout.getMessage().contains("did not complete within 20 ms"), timeout.getMessage());
        driver.release();
        w.await(Duration.ofSeconds(5));
        assertTrue(w.isCompleted() && w.isSuccess() && w.exception().isEmpty());
        assertEquals(0, pg.pendingCount());
    }

    @Test
    void awaitOnStreamEnqueuesAWaitOnTheEndEventWithoutBlocking() {
        group(0, 1);
        driver.hold();
        Work w = pg.allReduce(f32(5), ReduceOp.SUM, CALLER);
        driver.clearCalls();
        w.awaitOnStream(0x99);
        assertEquals(1, driver.calls.size());
        assertTrue(driver.calls.get(0).startsWith("streamWaitEvent(" + 0x99 + ", "), driver.calls.toString());
        driver.release();
        w.await(Duration.ofSeconds(5));
        driver.clearCalls();
        w.awaitOnStream(0x99);
        assertEquals(List.of(), driver.calls, "a finished op needs no wait");
    }

    @Test
    void moreCollectivesInFlightThanSlotsWaitForTheOldestFingerprint() {
        group(0, 1, 2);
        for (int i = 0; i < 7; i++) pg.allReduce(f32(1), ReduceOp.SUM, CALLER); // device runs at once: slots recycle
        driver.hold();
        pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        CompletableFuture<Work> third = CompletableFuture.supplyAsync(() -> pg.allReduce(f32(1), ReduceOp.SUM, CALLER));
        assertThrows(java.util.concurrent.TimeoutException.class, () -> third.get(200, TimeUnit.MILLISECONDS),
                "the third op in flight waits for the first one's fingerprint");
        driver.release();
        Work w = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> third.get());
        w.await(Duration.ofSeconds(5));
        assertTrue(w.description().contains("allReduce #9"), w.description());
    }

    // ---- fingerprints ---------------------------------------------------------------------------

    @Test
    void ranksThatCalledDifferentCollectivesFailWithBothVersionsEvenWhenTheOpHangs() {
        group(0, 2);
        driver.peerFingerprint = PEER_HAS_99_ELEMENTS;
        driver.hangsOn = call -> call.startsWith("allReduce");
        Work w = pg.allReduce(f32(10), ReduceOp.SUM, CALLER);
        Work later = pg.broadcast(f32(10), 0, CALLER);
        pg.watchdogPoll();
        var e = assertThrows(CollectiveMismatchException.class, () -> w.await(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("rank 0 of nccl group 'test' called allReduce #0 (sum, float32, 10 elements) but rank 1 called"
                + " allReduce #0 (sum, float32, 99 elements)"), e.getMessage());
        assertEquals(List.of(1), e.suspectRanks());
        assertEquals(1, driver.aborts, "the hanging op was ended by an abort");
        var aborted = assertThrows(NcclAbortedException.class, () -> later.await(Duration.ofSeconds(5)));
        assertEquals(NcclAbortedException.Reason.MISMATCH, aborted.reason());
        assertTrue(aborted.getMessage().contains("broadcast #1") && aborted.getMessage().contains("was aborted"), aborted.getMessage());
        var refused = assertThrows(IllegalStateException.class, () -> pg.barrier(CALLER));
        assertTrue(refused.getMessage().contains("was aborted and refuses new work (barrier)"), refused.getMessage());
    }

    @Test
    void aMismatchIsSeenByAWaitingThreadWithoutTheWatchdog() {
        group(1, 2);
        driver.peerFingerprint = (rank, mine) -> new Fingerprint(0, Fingerprint.Kind.BROADCAST, DType.F32, null, 0, 10).bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        Work w = pg.allReduce(f32(10), ReduceOp.SUM, CALLER);
        var e = assertThrows(CollectiveMismatchException.class, () -> w.await(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("rank 0 called broadcast #0 (root 0, float32, 10 elements)"), e.getMessage());
        assertFalse(w.isSuccess());
    }

    @Test
    void noThreadSeesAMismatchedOpSucceedWhileAnotherIsComparingItsFingerprints() throws Exception {
        // two threads poll the same finished op at once: the one that does not compare must wait
        // for the comparison instead of completing the op (this failed within a few hundred rounds
        // when the check was claimed before it compared)
        for (int round = 0; round < 500; round++) {
            group(0, 2);
            driver.peerFingerprint = PEER_HAS_99_ELEMENTS;
            Work w = pg.allReduce(f32(10), ReduceOp.SUM, CALLER);
            java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.Callable<Boolean> poll = () -> {
                together.await();
                return w.isSuccess();
            };
            try (var threads = java.util.concurrent.Executors.newFixedThreadPool(2)) {
                var a = threads.submit(poll);
                var b = threads.submit(poll);
                assertFalse(a.get(10, java.util.concurrent.TimeUnit.SECONDS), "round " + round + ": a thread saw the mismatched op succeed");
                assertFalse(b.get(10, java.util.concurrent.TimeUnit.SECONDS), "round " + round + ": a thread saw the mismatched op succeed");
            }
            assertThrows(CollectiveMismatchException.class, () -> w.await(Duration.ofSeconds(5)));
            pg.close();
            pg = null;
        }
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aCollectiveThatFindsTheGroupFailedWhileTakingItsSlotIsRefusedWithoutWaitingForTheAbort() throws Exception {
        group(0, 2, 1); // one slot: the second collective checks the first one's fingerprints
        driver.peerFingerprint = PEER_HAS_99_ELEMENTS;
        var stuck = new java.util.concurrent.CountDownLatch(1);
        driver.abortHeldUntil = stuck; // ncclCommAbort waiting for a device that does not get idle
        pg.allReduce(f32(10), ReduceOp.SUM, CALLER); // mismatched; nobody polls it
        var threads = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            var second = threads.submit(() -> pg.allReduce(f32(10), ReduceOp.SUM, CALLER));
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> second.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IllegalStateException && e.getCause().getMessage().contains("refuses new work (collective #1)"),
                    String.valueOf(e.getCause()));
            var third = threads.submit(() -> pg.barrier(CALLER)); // nor does the next issuer wait for the abort
            var refused = assertThrows(java.util.concurrent.ExecutionException.class, () -> third.get(1, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(refused.getCause() instanceof IllegalStateException, String.valueOf(refused.getCause()));
        } finally {
            stuck.countDown();
            threads.shutdownNow();
        }
        pg.close();
        assertEquals(1, driver.aborts);
        assertEquals(0, driver.destroys);
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void closeFreesNothingWhileTheAbortItsOwnDrainStartedIsRunning() throws Exception {
        driver = new FakeNcclDriver(0, 1);
        pg = new NcclProcessGroup("slow-abort", List.of(0), driver, Duration.ofMillis(100), driver::now, null, 4);
        driver.hangsOn = call -> call.startsWith("allReduce");
        var stuck = new java.util.concurrent.CountDownLatch(1);
        driver.abortHeldUntil = stuck;
        pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        var threads = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            var closing = threads.submit(() -> pg.close()); // its drain times out and starts the abort
            Thread.sleep(2_500); // past the 2 s that the thread starting an abort waits for it
            assertFalse(closing.isDone(), "close() returned while ncclCommAbort was still running");
            synchronized (driver) {
                assertFalse(driver.liveDevice.isEmpty() || driver.liveHost.isEmpty() || driver.liveStreams.isEmpty(),
                        "close() freed what the abort may still use");
            }
            stuck.countDown();
            closing.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            stuck.countDown();
            threads.shutdownNow();
        }
        assertEquals(1, driver.aborts);
        assertTrue(driver.liveDevice.isEmpty() && driver.liveHost.isEmpty() && driver.liveStreams.isEmpty());
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void closeAndAnAbortNeverBothReleaseTheCommunicator() throws Exception {
        // a poller that finds a mismatch aborts while close() would finalize: exactly one of them
        // may free the communicator (on the GPU, the other would use a freed one)
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            for (int round = 0; round < 1000; round++) {
                group(0, 2);
                driver.peerFingerprint = PEER_HAS_99_ELEMENTS;
                Work w = pg.allReduce(f32(10), ReduceOp.SUM, CALLER);
                var together = new java.util.concurrent.CyclicBarrier(2);
                var user = threads.submit(() -> {
                    together.await();
                    return w.isSuccess();
                });
                var closer = threads.submit(() -> {
                    together.await();
                    pg.close();
                    return null;
                });
                assertFalse(user.get(10, java.util.concurrent.TimeUnit.SECONDS), "round " + round);
                closer.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(1, driver.aborts + driver.destroys, "round " + round + ": aborts " + driver.aborts + ", destroys " + driver.destroys);
                assertTrue(driver.liveDevice.isEmpty() && driver.liveHost.isEmpty(), "round " + round);
                pg = null;
            }
        }
    }

    @Test
    void ranksOutOfStepBySequenceNumberAreCaught() {
        group(0, 2);
        pg.barrier(CALLER).await(Duration.ofSeconds(5));
        driver.peerFingerprint = (rank, mine) -> {
            MemorySegment.ofArray(mine).set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, 0L); // rank 1 is one collective behind
            return mine;
        };
        var e = assertThrows(CollectiveMismatchException.class, () -> pg.barrier(CALLER).await(Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("called barrier #1 () but rank 1 called barrier #0 ()"), e.getMessage());
    }

    // ---- the watchdog ---------------------------------------------------------------------------

    @Test
    void theWatchdogAbortsAnOpOlderThanTheTimeoutAndFailsEveryPendingOp() {
        group(0, 2);
        driver.hangsOn = call -> call.startsWith("allReduce");
        Work first = pg.allReduce(f32(10), ReduceOp.AVG, CALLER);
        driver.advance(Duration.ofSeconds(10));
        Work second = pg.send(f32(3), 1, 0, CALLER);
        driver.advance(Duration.ofSeconds(19));
        pg.watchdogPoll();
        assertFalse(first.isCompleted(), "29 s old: not yet");
        assertEquals(0, driver.aborts);
        driver.advance(Duration.ofSeconds(2));
        pg.watchdogPoll();
        assertEquals(1, driver.aborts);
        var e = assertThrows(NcclAbortedException.class, () -> first.await(Duration.ofSeconds(5)));
        assertEquals(NcclAbortedException.Reason.TIMEOUT, e.reason());
        assertEquals("allReduce", e.op());
        assertEquals(0, e.sequence());
        assertEquals(0, e.rank());
        assertEquals(List.of(1), e.suspectRanks());
        assertTrue(e.getMessage().startsWith("nccl allReduce #0 (avg, float32, 10 elements) on rank 0 of 2 (nccl group 'test', cuda:0)"
                + " did not complete within the collective timeout of 30 s"), e.getMessage());
        var e2 = assertThrows(NcclAbortedException.class, () -> second.await(Duration.ofSeconds(5)));
        assertTrue(e2.getMessage().startsWith("nccl send #0 (to 1, tag 0, float32, 3 elements)") && e2.getMessage().contains("was aborted"), e2.getMessage());
        assertSame(e, e2.getCause());
        assertFalse(first.isSuccess(), "the abort let the device run the end event, but the op stays failed");
        assertTrue(pg.failure().isPresent());
        var refused = assertThrows(IllegalStateException.class, () -> pg.allReduce(f32(1), ReduceOp.SUM, CALLER));
        assertTrue(refused.getMessage().contains("nccl process group 'test' on rank 0 was aborted and refuses new work (allReduce)"), refused.getMessage());
        assertSame(e, refused.getCause());
        pg.watchdogPoll();
        assertEquals(1, driver.aborts, "aborted once");
    }

    @Test
    void finishedOpsAreRetiredAndNeverTimeOut() {
        group(0, 1);
        Work w = pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        pg.watchdogPoll();
        assertEquals(0, pg.pendingCount());
        driver.advance(Duration.ofHours(1));
        pg.watchdogPoll();
        assertTrue(w.isSuccess());
        assertEquals(0, driver.aborts);
    }

    @Test
    void anAsynchronousNcclErrorAbortsAndFailsPendingOps() {
        group(0, 2);
        driver.hangsOn = call -> call.startsWith("broadcast");
        Work w = pg.broadcast(f32(2), 1, CALLER);
        driver.asyncError = Nccl.ncclRemoteError;
        pg.watchdogPoll();
        var e = assertThrows(NcclAbortedException.class, () -> w.await(Duration.ofSeconds(5)));
        assertEquals(NcclAbortedException.Reason.NCCL_ERROR, e.reason());
        assertEquals(0, e.sequence());
        assertTrue(e.getMessage().contains("NCCL reported an asynchronous error on rank 0 of 2") && e.getMessage().contains("ncclResult(6)")
                && e.getMessage().contains("broadcast #0 (root 1, float32, 2 elements)"), e.getMessage());
        assertEquals(1, driver.aborts);
    }

    @Test
    void anAbortStuckOnTheDeviceDoesNotHoldUpTheThreadThatEndsTheGroup() {
        driver = new FakeNcclDriver(0, 1);
        pg = new NcclProcessGroup("stuck", List.of(0), driver, Duration.ofMillis(200), driver::now, null, 4);
        driver.hangsOn = call -> call.startsWith("allReduce");
        var release = new java.util.concurrent.CountDownLatch(1);
        driver.abortHeldUntil = release; // like ncclCommAbort waiting for a stream that never finishes
        Work w = pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        driver.advance(Duration.ofSeconds(1));
        long t0 = System.nanoTime();
        pg.watchdogPoll(); // the timeout: ops fail, the abort starts and does not finish
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "the thread that ended the group went on");
        var e = assertThrows(NcclAbortedException.class, () -> w.await(Duration.ofSeconds(5)));
        assertEquals(NcclAbortedException.Reason.TIMEOUT, e.reason());
        assertEquals(0, driver.aborts, "the abort is still waiting for the device");
        release.countDown();
        pg.close(); // waits for the abort before freeing what it may still use
        assertTrue(driver.aborts >= 1);
    }

    @Test
    void theWatchdogThreadDoesItOnItsOwn() {
        driver = new FakeNcclDriver(0, 1);
        pg = new NcclProcessGroup("threaded", List.of(0), driver, Duration.ofMillis(200), System::nanoTime, Duration.ofMillis(10), 4);
        driver.hangsOn = call -> call.startsWith("allReduce");
        Work w = pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        var e = assertThrows(NcclAbortedException.class, () -> w.await(Duration.ofSeconds(10)));
        assertEquals(NcclAbortedException.Reason.TIMEOUT, e.reason());
        assertTrue(e.getMessage().contains("collective timeout of 200 ms"), e.getMessage());
    }

    // ---- non-blocking enqueue -------------------------------------------------------------------

    @Test
    void anEnqueueInProgressIsPolledUntilReadyBeforeTheEndEventIsRecorded() {
        group(0, 1);
        driver.inProgressCalls = 2;
        driver.inProgressPolls = 3;
        Work w = pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        w.await(Duration.ofSeconds(5));
        assertTrue(w.isSuccess());
        assertEquals(0, driver.inProgressPolls, "ncclCommGetAsyncError was polled until it said ncclSuccess");
    }

    @Test
    void anEnqueueThatStaysInProgressTimesOutAndAborts() {
        group(0, 1);
        driver.inProgressCalls = 1;
        driver.inProgressPolls = Integer.MAX_VALUE;
        driver.nanosPerPoll = Duration.ofSeconds(1).toNanos();
        var e = assertThrows(NcclAbortedException.class, () -> pg.allReduce(f32(1), ReduceOp.SUM, CALLER));
        assertEquals(NcclAbortedException.Reason.ENQUEUE_FAILED, e.reason());
        assertTrue(e.getMessage().contains("allReduce #0") && e.getMessage().contains("could not be enqueued")
                && e.getMessage().contains("ncclInProgress"), e.getMessage());
        assertEquals(1, driver.aborts);
    }

    @Test
    void anEnqueueErrorAbortsAndIsThrown() {
        group(0, 1);
        driver.asyncError = Nccl.ncclInvalidUsage;
        driver.inProgressCalls = 1;
        var e = assertThrows(NcclAbortedException.class, () -> pg.allReduce(f32(1), ReduceOp.SUM, CALLER));
        assertTrue(e.getMessage().contains("NCCL reported ncclResult(5)"), e.getMessage());
        assertInstanceOf(DistributedException.class, e.getCause());
    }

    // ---- arguments ------------------------------------------------------------------------------

    @Test
    void hostBuffersAreRefusedWithAPointer() {
        group(0, 1);
        var e = assertThrows(UnsupportedOperationException.class, () -> pg.allReduce(HostBuffer.of(1f, 2f), ReduceOp.SUM));
        assertTrue(e.getMessage().startsWith("nccl works on CUDA buffers: pass a DeviceBuffer (device memory on cuda:0) to allReduce"), e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> pg.send(HostBuffer.of(1f), 0, 0));
        assertThrows(UnsupportedOperationException.class, () -> pg.allGather(HostBuffer.of(1f), HostBuffer.of(1f)));
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsEnqueued() {
        group(0, 2);
        driver.clearCalls();
        var dev = assertThrows(IllegalArgumentException.class, () -> pg.allReduce(new DeviceBuffer(0x100, DType.F32, 1, 3), ReduceOp.SUM, CALLER));
        assertTrue(dev.getMessage().contains("is on cuda:3 but rank 0 of nccl group 'test' runs on cuda:0"), dev.getMessage());
        var gather = assertThrows(IllegalArgumentException.class, () -> pg.allGather(f32(3), f32(2), CALLER));
        assertEquals("allGather: output holds 3 elements but needs 2 x 2 = 4", gather.getMessage());
        var scatter = assertThrows(IllegalArgumentException.class, () -> pg.reduceScatter(f32(2), f32(5), ReduceOp.SUM, CALLER));
        assertEquals("reduceScatter: input holds 5 elements but needs 2 x 2 = 4", scatter.getMessage());
        var dtype = assertThrows(IllegalArgumentException.class,
                () -> pg.allGather(f32(4), new DeviceBuffer(0x100, DType.BF16, 2, 0), CALLER));
        assertEquals("allGather: output is float32 but input is bfloat16", dtype.getMessage());
        var root = assertThrows(IllegalArgumentException.class, () -> pg.broadcast(f32(1), 2, CALLER));
        assertTrue(root.getMessage().startsWith("broadcast: root 2 is outside 0..1"), root.getMessage());
        assertThrows(IllegalArgumentException.class, () -> pg.recv(f32(1), -1, 0, CALLER));
        var bool = assertThrows(IllegalArgumentException.class, () -> pg.allReduce(new DeviceBuffer(0x100, DType.BOOL, 1, 0), ReduceOp.AVG, CALLER));
        assertTrue(bool.getMessage().contains("AVG is not defined for bool"), bool.getMessage());
        assertEquals(List.of(), driver.calls);
        pg.barrier(CALLER).await(Duration.ofSeconds(5));
        assertTrue(driver.calls.get(3).startsWith("allGather"), "refused ops used no sequence number");
    }

    // ---- closing --------------------------------------------------------------------------------

    @Test
    void closeFinalizesAHealthyCommunicatorAndFreesEverything() {
        group(0, 1);
        pg.allReduce(f32(1), ReduceOp.SUM, CALLER).await(Duration.ofSeconds(5));
        pg.close();
        assertEquals(1, driver.destroys);
        assertEquals(0, driver.aborts);
        assertTrue(driver.liveStreams.isEmpty() && driver.liveDevice.isEmpty() && driver.liveHost.isEmpty());
        pg.close();
        assertEquals(1, driver.destroys, "idempotent");
        var e = assertThrows(IllegalStateException.class, () -> pg.barrier(CALLER));
        assertTrue(e.getMessage().contains("is closed; cannot start barrier"), e.getMessage());
    }

    @Test
    void closeOfAnAbortedGroupDoesNotFinalize() {
        group(0, 1);
        driver.hangsOn = call -> call.startsWith("allReduce");
        pg.allReduce(f32(1), ReduceOp.SUM, CALLER);
        driver.advance(TIMEOUT.plusSeconds(1));
        pg.watchdogPoll();
        pg.close();
        assertEquals(0, driver.destroys);
        assertTrue(driver.liveDevice.isEmpty() && driver.liveHost.isEmpty());
    }
}
