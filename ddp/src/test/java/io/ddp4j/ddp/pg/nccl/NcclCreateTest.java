package io.ddp4j.ddp.pg.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.store.TCPStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** On a machine without a GPU or NCCL, asking for the nccl backend fails with a reason, not a crash or a hang. */
class NcclCreateTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static void assumeNoNccl() {
        assumeTrue(NcclProcessGroup.whyUnusable().isPresent(), "this machine can run NCCL; the GPU tests cover it");
    }

    @Test
    void creatingAGroupHereExplainsWhatIsMissing() {
        assumeNoNccl();
        try (TCPStore store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null)) {
            var e = assertThrows(DistributedException.class,
                    () -> NcclProcessGroup.create(store, 0, 1, List.of(0), "world", TIMEOUT, Map.of()));
            assertTrue(e.getMessage().startsWith("rank 0 of group 'world': the nccl backend cannot run on this machine: "), e.getMessage());
            assertTrue(e.getMessage().contains("Use the tcp backend for CPU-only runs"), e.getMessage());
        }
    }

    @Test
    void theOtherRanksHearItFromRankZeroInsteadOfWaitingForTheTimeout() throws Exception {
        assumeNoNccl();
        var pool = Executors.newFixedThreadPool(2);
        try (TCPStore store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
             TCPStore other = TCPStore.connect("127.0.0.1", store.port(), TIMEOUT, null)) {
            // rank 1 passes the local check only if it had NCCL; here it fails locally too, so drive the exchange directly
            Future<?> one = pool.submit(() -> UniqueIdExchange.exchange(other, "world", 1, null, TIMEOUT));
            assertThrows(DistributedException.class, () -> NcclProcessGroup.create(store, 0, 2, List.of(0, 1), "world", TIMEOUT, Map.of()));
            var e = assertThrows(ExecutionException.class, () -> one.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().startsWith("rank 0 of nccl group 'world' could not create the communicator: the nccl backend cannot run"),
                    e.getCause().getMessage());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void distributedInitWithTheNcclBackendFailsClearly() {
        assumeNoNccl();
        try (TCPStore store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null)) {
            InitOptions o = InitOptions.withStore(store, 0, 1).withBackend("nccl").withTimeout(TIMEOUT).withEnv(Map.of());
            var e = assertThrows(DistributedException.class, () -> Distributed.init(o));
            assertTrue(e.getMessage().contains("the nccl backend cannot run on this machine"), e.getMessage());
        }
    }

    @Test
    void theDeviceComesFromTheEnvironment() {
        assertEquals(0, NcclProcessGroup.chooseDevice(Map.of(), 1));
        assertEquals(3, NcclProcessGroup.chooseDevice(Map.of("LOCAL_RANK", "3"), 8));
        assertEquals(1, NcclProcessGroup.chooseDevice(Map.of("LOCAL_RANK", "3", NcclProcessGroup.DEVICE_ENV, "1"), 8));
        var e = assertThrows(IllegalArgumentException.class, () -> NcclProcessGroup.chooseDevice(Map.of("LOCAL_RANK", "1"), 1));
        assertEquals("LOCAL_RANK=1 does not name one of the 1 CUDA devices of this machine; NCCL needs one GPU per rank"
                + " (start at most 1 ranks per node, or set DDP4J_CUDA_DEVICE)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NcclProcessGroup.chooseDevice(Map.of(NcclProcessGroup.DEVICE_ENV, "x"), 1));
    }
}
