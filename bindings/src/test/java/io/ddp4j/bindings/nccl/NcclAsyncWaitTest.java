package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.NcclException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/** The polling logic, driven by a fake clock and a scripted ncclCommGetAsyncError. */
class NcclAsyncWaitTest {

    /** A clock that only moves when the wait pauses, and remembers each pause. */
    private static final class FakeClock {
        long now = 1_000;
        final List<Long> pauses = new ArrayList<>();

        NcclAsyncWait waiter() {
            return new NcclAsyncWait(() -> now, nanos -> {
                pauses.add(nanos);
                now += nanos;
            });
        }
    }

    private static IntSupplier script(int... states) {
        AtomicInteger i = new AtomicInteger();
        return () -> states[Math.min(i.getAndIncrement(), states.length - 1)];
    }

    @Test
    void returnsOnceNcclSaysSuccessWithoutAborting() {
        FakeClock clock = new FakeClock();
        AtomicInteger aborts = new AtomicInteger();
        clock.waiter().await(script(7, 7, 7, 0), aborts::incrementAndGet, "init", 0, 1, Duration.ofSeconds(1));
        assertEquals(0, aborts.get());
        assertEquals(List.of(10_000L, 20_000L, 40_000L), clock.pauses);
    }

    @Test
    void pausesGrowToAMillisecondAndNoFurther() {
        FakeClock clock = new FakeClock();
        int[] states = new int[20];
        java.util.Arrays.fill(states, Nccl.ncclInProgress);
        states[19] = Nccl.ncclSuccess;
        clock.waiter().await(script(states), () -> {}, "init", 0, 1, Duration.ofSeconds(10));
        assertEquals(19, clock.pauses.size());
        assertEquals(NcclAsyncWait.MAX_PAUSE_NANOS, clock.pauses.get(18));
        assertTrue(clock.pauses.stream().allMatch(p -> p <= NcclAsyncWait.MAX_PAUSE_NANOS));
    }

    @Test
    void timesOutAbortsAndNamesRankAndTimeout() {
        FakeClock clock = new FakeClock();
        AtomicInteger aborts = new AtomicInteger();
        Duration timeout = Duration.ofMillis(5);
        NcclTimeoutException e = assertThrows(NcclTimeoutException.class, () -> clock.waiter()
                .await(() -> Nccl.ncclInProgress, aborts::incrementAndGet, "communicator init", 3, 8, timeout));
        assertEquals(1, aborts.get());
        assertEquals(3, e.rank());
        assertEquals(8, e.nranks());
        assertEquals(timeout, e.timeout());
        assertTrue(e.getMessage().contains("rank 3 of 8") && e.getMessage().contains("PT0.005S")
                && e.getMessage().contains("aborted"), e.getMessage());
        // it waited the whole timeout, and not a pause longer
        assertEquals(1_000 + timeout.toNanos(), clock.now);
    }

    @Test
    void anErrorAbortsAndThrowsTheNcclCode() {
        AtomicInteger aborts = new AtomicInteger();
        NcclException e = assertThrows(NcclException.class, () -> new FakeClock().waiter()
                .await(script(7, Nccl.ncclRemoteError), aborts::incrementAndGet, "communicator init", 1, 2, Duration.ofSeconds(1)));
        assertEquals(1, aborts.get());
        assertEquals(Nccl.ncclRemoteError, e.code());
        assertEquals("ncclRemoteError", e.codeName());
        assertTrue(e.call().contains("rank 1 of 2") && e.call().contains("communicator init"), e.call());
    }

    @Test
    void aQueryThatThrowsAbortsTooAndPassesItsFailureOn() {
        AtomicInteger aborts = new AtomicInteger();
        RuntimeException broken = new IllegalStateException("ncclCommGetAsyncError failed");
        RuntimeException e = assertThrows(IllegalStateException.class, () -> new FakeClock().waiter()
                .await(() -> { throw broken; }, aborts::incrementAndGet, "init", 0, 2, Duration.ofSeconds(1)));
        assertSame(broken, e);
        assertEquals(1, aborts.get(), "a communicator whose state cannot be read is aborted, not leaked");
    }

    @Test
    void aFailingAbortIsKeptAsSuppressed() {
        RuntimeException abortFailure = new IllegalStateException("abort failed");
        NcclTimeoutException e = assertThrows(NcclTimeoutException.class, () -> new FakeClock().waiter()
                .await(() -> Nccl.ncclInProgress, () -> { throw abortFailure; }, "init", 0, 1, Duration.ZERO));
        assertSame(abortFailure, e.getSuppressed()[0]);
    }

    @Test
    void aReadyCommunicatorPassesEvenAZeroTimeout() {
        FakeClock clock = new FakeClock();
        clock.waiter().await(() -> Nccl.ncclSuccess, () -> { throw new AssertionError("aborted"); }, "init", 0, 1, Duration.ZERO);
        assertEquals(List.of(), clock.pauses);
    }

    @Test
    void refusesANegativeTimeout() {
        assertThrows(IllegalArgumentException.class, () -> new FakeClock().waiter()
                .await(() -> Nccl.ncclSuccess, () -> {}, "init", 0, 1, Duration.ofSeconds(-1)));
    }
}
