package io.ddp4j.ddp;

import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.store.TCPStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.*;

class DistributedTest {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    interface RankBody<T> {
        T run(Distributed d) throws Exception;
    }

    /** Starts {@code w} ranks on threads, each with its own options; returns their results. */
    static <T> List<T> onRanks(int w, IntFunction<InitOptions> options, RankBody<T> body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(w);
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < w; r++) {
                InitOptions o = options.apply(r);
                fs.add(pool.submit(() -> {
                    try (Distributed d = Distributed.init(o)) {
                        return body.run(d);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : fs) {
                try {
                    out.add(f.get(60, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception ex) throw ex;
                    throw e;
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static long sumOfRanks(ProcessGroup g, int globalRank) {
        HostBuffer b = HostBuffer.of(new long[] {globalRank});
        g.allReduce(b, ReduceOp.SUM).await();
        return b.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0);
    }

    @Test
    void withNothingSetASingleProcessJobJustWorks() {
        try (Distributed d = Distributed.init(InitOptions.fromEnv(Map.of()).withTimeout(TIMEOUT))) {
            assertEquals(0, d.rank());
            assertEquals(1, d.worldSize());
            assertEquals("single-process", d.cluster().environment());
            assertEquals(0, sumOfRanks(d.group(), 0));
        }
    }

    @Test
    void envInitReadsTorchrunVariablesAndNewGroupMakesSubGroups() throws Exception {
        int port = freePort();
        List<String> results = onRanks(3, r -> InitOptions.fromEnv(Map.of("RANK", "" + r, "WORLD_SIZE", "3", "LOCAL_RANK", "" + r,
                "LOCAL_WORLD_SIZE", "3", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "" + port)).withTimeout(TIMEOUT), d -> {
            long all = sumOfRanks(d.group(), d.rank());
            Optional<ProcessGroup> evens = d.newGroup(List.of(2, 0));
            Optional<ProcessGroup> tail = d.newGroup(List.of(1, 2));
            String s = d.rank() + ":" + all;
            if (evens.isPresent()) s += " evens(rank " + evens.get().rank() + " of " + evens.get().size() + ")=" + sumOfRanks(evens.get(), d.rank());
            if (tail.isPresent()) s += " tail=" + sumOfRanks(tail.get(), d.rank());
            return s;
        });
        assertEquals(List.of("0:3 evens(rank 0 of 2)=2", "1:3 tail=3", "2:3 evens(rank 1 of 2)=2 tail=3"), results);
    }

    @Test
    void tcpInitMethodHostsTheStoreOnRankZero() throws Exception {
        int port = freePort();
        List<Long> sums = onRanks(2, r -> InitOptions.url("tcp://127.0.0.1:" + port, r, 2).withEnv(Map.of()).withTimeout(TIMEOUT),
                d -> sumOfRanks(d.group(), d.rank()));
        assertEquals(List.of(1L, 1L), sums);
    }

    @Test
    void fileInitMethodUsesASharedFile() throws Exception {
        String url = dir.resolve("rdzv").toUri().toString();
        List<Long> sums = onRanks(3, r -> InitOptions.url(url, r, 3).withEnv(Map.of()).withTimeout(TIMEOUT), d -> sumOfRanks(d.group(), d.rank()));
        assertEquals(List.of(3L, 3L, 3L), sums);
    }

    @Test
    void anExplicitStoreIsUsedAndLeftOpen() throws Exception {
        try (TCPStore host = TCPStore.host(null, 0, TIMEOUT, null)) {
            List<Long> sums = onRanks(2, r -> InitOptions.withStore(TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, null), r, 2)
                    .withEnv(Map.of()).withTimeout(TIMEOUT), d -> sumOfRanks(d.group(), d.rank()));
            assertEquals(List.of(1L, 1L), sums);
            host.set("still", "open");
        }
    }

    @Test
    void ranksThatDisagreeOnTheWorldSizeFailClearly() throws Exception {
        try (TCPStore host = TCPStore.host(null, 0, TIMEOUT, null)) {
            Distributed.init(InitOptions.withStore(host, 0, 1).withEnv(Map.of()).withTimeout(TIMEOUT)).close();
            var e = assertThrows(DistributedException.class,
                    () -> Distributed.init(InitOptions.withStore(host, 1, 2).withEnv(Map.of()).withTimeout(TIMEOUT)));
            assertTrue(e.getMessage().contains("world size 2") && e.getMessage().contains("world size 1"), e.getMessage());
        }
    }

    @Test
    void twoProcessesClaimingOneRankFailClearly() throws Exception {
        try (TCPStore host = TCPStore.host(null, 0, TIMEOUT, null)) {
            host.add("rank_claims/0", 1);
            var e = assertThrows(DistributedException.class,
                    () -> Distributed.init(InitOptions.withStore(host, 0, 1).withEnv(Map.of()).withTimeout(TIMEOUT)));
            assertTrue(e.getMessage().contains("two processes claim rank 0"), e.getMessage());
        }
    }

    @Test
    void aPerNodeEnvironmentSaysToUseTheLauncher() {
        var env = Map.of("SM_HOSTS", "[\"algo-1\"]", "SM_CURRENT_HOST", "algo-1", "SM_NUM_GPUS", "4");
        var e = assertThrows(IllegalArgumentException.class, () -> Distributed.init(InitOptions.fromEnv(env)));
        assertTrue(e.getMessage().contains("ddp4j run --nproc-per-node 4"), e.getMessage());
    }

    @Test
    void aWrongStoreTokenIsRefused() throws Exception {
        int port = freePort();
        try (TCPStore host = TCPStore.host("127.0.0.1", port, TIMEOUT, "right")) {
            var env = Map.of("RANK", "1", "WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "" + port, "DDP4J_STORE_TOKEN", "wrong");
            var e = assertThrows(DistributedException.class, () -> Distributed.init(InitOptions.fromEnv(env).withTimeout(TIMEOUT)));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        }
    }

    @Test
    void unknownBackendsAndInitMethodsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> Distributed.init(InitOptions.fromEnv(Map.of()).withBackend("gloo")));
        assertTrue(e.getMessage().contains("gloo") && e.getMessage().contains("tcp"), e.getMessage());
        var u = assertThrows(IllegalArgumentException.class, () -> Distributed.init(InitOptions.url("udp://x:1", 0, 1)));
        assertTrue(u.getMessage().contains("udp://x:1"), u.getMessage());
        assertTrue(Backends.names().contains("tcp"));
    }
}
