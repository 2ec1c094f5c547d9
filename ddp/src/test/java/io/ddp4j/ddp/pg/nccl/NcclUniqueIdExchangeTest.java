package io.ddp4j.ddp.pg.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.nccl.NcclUniqueId;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.store.PrefixStore;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.ddp.store.TCPStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The unique id travels from rank 0 to the others through a real TCPStore, one client per rank thread. */
class NcclUniqueIdExchangeTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private TCPStore host;
    private final List<Store> clients = new ArrayList<>();
    private final ExecutorService ranks = Executors.newCachedThreadPool();

    @BeforeEach
    void startStore() {
        host = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
    }

    @AfterEach
    void stop() {
        ranks.shutdownNow();
        clients.forEach(Store::close);
        host.close();
    }

    private Store client() {
        Store s = new PrefixStore("pg/0", TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, null));
        clients.add(s);
        return s;
    }

    private static NcclUniqueId someId(long seed) {
        byte[] b = new byte[NcclUniqueId.BYTES];
        new Random(seed).nextBytes(b);
        return NcclUniqueId.fromBytes(b);
    }

    @Test
    void everyRankGetsRankZerosId() throws Exception {
        int n = 4;
        NcclUniqueId made = someId(42);
        List<Future<NcclUniqueId>> got = new ArrayList<>();
        // the others start waiting first: they must block until rank 0 publishes
        for (int r = n - 1; r >= 0; r--) {
            int rank = r;
            Store store = client();
            got.add(ranks.submit(() -> {
                if (rank == 0) Thread.sleep(200);
                return UniqueIdExchange.exchange(store, "world", rank, () -> {
                    if (rank != 0) throw new AssertionError("only rank 0 makes the id");
                    return made;
                }, TIMEOUT);
            }));
        }
        for (Future<NcclUniqueId> f : got) assertEquals(made, f.get(30, TimeUnit.SECONDS));
    }

    @Test
    void groupsWithDifferentNamesDoNotShareAnId() throws Exception {
        Store a = client(), b = client();
        UniqueIdExchange.exchange(a, "one", 0, () -> someId(1), TIMEOUT);
        UniqueIdExchange.exchange(a, "two", 0, () -> someId(2), TIMEOUT);
        assertEquals(someId(1), UniqueIdExchange.exchange(b, "one", 1, null, TIMEOUT));
        assertEquals(someId(2), UniqueIdExchange.exchange(b, "two", 1, null, TIMEOUT));
    }

    @Test
    void whenRankZeroCannotMakeAnIdTheOthersLearnWhyAtOnce() throws Exception {
        Store zero = client(), one = client();
        Future<NcclUniqueId> waiting = ranks.submit(() -> UniqueIdExchange.exchange(one, "world", 1, null, TIMEOUT));
        Thread.sleep(100);
        var own = assertThrows(IllegalStateException.class, () -> UniqueIdExchange.exchange(zero, "world", 0, () -> {
            throw new IllegalStateException("no NCCL here");
        }, TIMEOUT));
        assertEquals("no NCCL here", own.getMessage());
        long t0 = System.nanoTime();
        var e = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DistributedException, e.getCause().toString());
        assertEquals("rank 0 of nccl group 'world' could not create the communicator: no NCCL here", e.getCause().getMessage());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "no wait for the timeout");
    }

    @Test
    void aMissingRankZeroIsATimeoutThatSaysWhatWasAwaited() {
        Store one = client();
        var e = assertThrows(DistributedTimeoutException.class,
                () -> UniqueIdExchange.exchange(one, "world", 3, null, Duration.ofMillis(300)));
        assertTrue(e.getMessage().startsWith("rank 3 of nccl group 'world' waited 300 ms for rank 0 to publish the NCCL unique id"
                + " under store key 'nccl/unique_id/world'"), e.getMessage());
    }

    @Test
    void aValueOfTheWrongSizeIsRefused() {
        Store one = client();
        one.set(UniqueIdExchange.key("world"), new byte[] {1, 2, 3});
        var e = assertThrows(DistributedException.class, () -> UniqueIdExchange.exchange(one, "world", 1, null, TIMEOUT));
        assertTrue(e.getMessage().contains("holds 3 bytes, not the 128 of an ncclUniqueId"), e.getMessage());
    }
}
