package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.NcclException;
import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * NCCL with two ranks, one thread and one GPU each, as a multi-GPU process runs them: every
 * collective against {@link NcclReference} over both ranks' contributions, with buffers of more
 * than a megabyte (so the work moves in several pieces), and a send/receive exchange in which
 * both ranks send first. The GPU machine has one GPU, so these run on the CUDA emulator in CI (two
 * emulated devices) and on any machine with two GPUs; refusing two ranks on one GPU needs only one.
 */
@Tag("gpu")
class NcclTwoRanksGpuTest {
    private static final int N = 300_000;
    private static final float SENTINEL = -77f;

    @BeforeEach
    void needsCudaAndNccl() {
        assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), () -> Nccl.library().failure().map(Throwable::getMessage).orElse("NCCL not loaded"));
    }

    private static void needsTwoGpus() {
        assumeTrue(Cudart.cudaGetDeviceCount() >= 2, "needs two GPUs, one per rank");
    }

    interface RankBody<T> {
        T run(int rank, NcclComm comm, long stream) throws Exception;
    }

    /**
     * Runs {@code body} for ranks 0 and 1 at once, rank r on {@code devices[r]}, each with a
     * communicator of one shared id and a stream of its own; every rank's result, or the first
     * failure.
     */
    private static <T> List<T> twoRanks(int[] devices, RankBody<T> body) throws Exception {
        NcclUniqueId id = Nccl.ncclGetUniqueId();
        return onTwoThreads(rank -> {
            Cudart.cudaSetDevice(devices[rank]);
            long stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
            try (NcclComm comm = NcclComm.initRank(2, id, rank)) {
                return body.run(rank, comm, stream);
            } finally {
                Cudart.cudaStreamSynchronize(stream);
                Cudart.cudaStreamDestroy(stream);
            }
        });
    }

    interface PerRank<T> {
        T run(int rank) throws Exception;
    }

    /** {@code body} for ranks 0 and 1 on two threads at once (a communicator's init blocks until both call it). */
    private static <T> List<T> onTwoThreads(PerRank<T> body) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2, r -> Thread.ofPlatform().daemon().unstarted(r));
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                futures.add(threads.submit(() -> body.run(rank)));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get(120, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception ex) throw ex;
                    throw e;
                }
            }
            return out;
        } finally {
            threads.shutdownNow();
        }
    }

    /** Multiples of 0.25 in [-8, 8): sums, products, maxima and averages of two of them are exact in float32. */
    private static float[] input(int n, int seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = ((i * 7 + seed * 13) % 64) * 0.25f - 8f;
        return v;
    }

    private static float[] block(float[] v, int index, int size) {
        return Arrays.copyOfRange(v, index * size, (index + 1) * size);
    }

    @Test
    void everyCollectiveMatchesTheReferenceOverTwoRanks() throws Exception {
        needsTwoGpus();
        List<float[]> x = List.of(input(2 * N, 1), input(2 * N, 2));
        List<float[]> firstHalves = List.of(block(x.get(0), 0, N), block(x.get(1), 0, N));
        twoRanks(new int[] {0, 1}, (rank, comm, stream) -> {
            assertEquals(2, comm.count());
            assertEquals(rank, comm.userRank());
            assertEquals(rank, comm.cuDevice());
            float[] mine = x.get(rank), firstHalf = block(mine, 0, N);
            for (int op : new int[] {Nccl.ncclSum, Nccl.ncclProd, Nccl.ncclMax, Nccl.ncclMin, Nccl.ncclAvg}) {
                try (DeviceArray send = DeviceArray.of(firstHalf); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                    Nccl.ncclAllReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat32, op, comm.handle(), stream);
                    Cudart.cudaStreamSynchronize(stream);
                    assertArrayEquals(NcclReference.reduce(firstHalves, op), recv.floats(), "allReduce op " + op + " on rank " + rank);
                }
            }
            try (DeviceArray buf = DeviceArray.of(firstHalf)) {
                Nccl.ncclBroadcast(buf.ptr, buf.ptr, N, Nccl.ncclFloat32, 1, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                assertArrayEquals(firstHalves.get(1), buf.floats(), "broadcast from rank 1, in place, on rank " + rank);
            }
            try (DeviceArray send = DeviceArray.of(firstHalf); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                Nccl.ncclReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat32, Nccl.ncclMax, 1, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                if (rank == 1) assertArrayEquals(NcclReference.reduce(firstHalves, Nccl.ncclMax), recv.floats(), "reduce to rank 1");
                else assertEquals(SENTINEL, recv.floats()[0], "reduce writes nothing on a rank that is not the root");
            }
            try (DeviceArray send = DeviceArray.of(firstHalf); DeviceArray recv = DeviceArray.filled(2 * N, SENTINEL)) {
                Nccl.ncclAllGather(send.ptr, recv.ptr, N, Nccl.ncclFloat32, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                float[] got = recv.floats();
                for (int q = 0; q < 2; q++) assertArrayEquals(firstHalves.get(q), block(got, q, N), "allGather block " + q + " on rank " + rank);
            }
            try (DeviceArray send = DeviceArray.of(mine); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                Nccl.ncclReduceScatter(send.ptr, recv.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                assertArrayEquals(block(NcclReference.reduce(x, Nccl.ncclSum), rank, N), recv.floats(), "reduceScatter block of rank " + rank);
            }
            return null;
        });
    }

    @Test
    void bfloat16AllReduceOverTwoRanks() throws Exception {
        needsTwoGpus();
        List<float[]> x = List.of(input(N, 3), input(N, 4));
        List<float[]> got = twoRanks(new int[] {0, 1}, (rank, comm, stream) -> {
            try (DeviceArray buf = DeviceArray.of(NcclReference.toBf16(x.get(rank)))) {
                Nccl.ncclAllReduce(buf.ptr, buf.ptr, N, Nccl.ncclBfloat16, Nccl.ncclSum, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                return NcclReference.fromBf16(buf.shorts());
            }
        });
        float[] want = NcclReference.reduce(x, Nccl.ncclSum); // sums of two quarter-steps below 16 are exact in bfloat16
        assertArrayEquals(want, got.get(0));
        assertArrayEquals(want, got.get(1));
    }

    /** Each rank sends to the other before it receives, in one group: NCCL runs both at once. */
    @Test
    void ranksThatSendToEachOtherInOneGroupDoNotDeadlock() throws Exception {
        needsTwoGpus();
        List<float[]> x = List.of(input(N, 5), input(N, 6));
        List<float[]> got = twoRanks(new int[] {0, 1}, (rank, comm, stream) -> {
            int peer = 1 - rank;
            try (DeviceArray send = DeviceArray.of(x.get(rank)); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                Nccl.ncclGroupStart();
                try {
                    Nccl.ncclSend(send.ptr, N, Nccl.ncclFloat32, peer, comm.handle(), stream);
                    Nccl.ncclRecv(recv.ptr, N, Nccl.ncclFloat32, peer, comm.handle(), stream);
                } finally {
                    Nccl.ncclGroupEnd();
                }
                Cudart.cudaStreamSynchronize(stream);
                return recv.floats();
            }
        });
        assertArrayEquals(x.get(1), got.get(0), "rank 0 received rank 1's data");
        assertArrayEquals(x.get(0), got.get(1), "rank 1 received rank 0's data");
    }

    /** NCCL's init refuses two ranks on one GPU ("Duplicate GPU detected"): ncclInvalidUsage on both. */
    @Test
    void twoRanksOnOneGpuAreRefusedAtInit() throws Exception {
        NcclUniqueId id = Nccl.ncclGetUniqueId();
        List<Throwable> failures = onTwoThreads(rank -> {
            Cudart.cudaSetDevice(0);
            try (NcclComm comm = NcclComm.initRank(2, id, rank)) {
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        for (int r = 0; r < 2; r++) {
            NcclException e = assertInstanceOf(NcclException.class, failures.get(r), "rank " + r);
            assertEquals(Nccl.ncclInvalidUsage, e.code(), e.getMessage());
            assertTrue(e.call().contains("rank " + r + " of 2"), e.call());
        }
    }

    /** ncclCommInitAll checks its device list first: a device that does not exist is ncclInvalidArgument, and nothing waits for it. */
    @Test
    void initAllRefusesADeviceThatDoesNotExist() {
        int missing = Cudart.cudaGetDeviceCount();
        NcclException e = org.junit.jupiter.api.Assertions.assertThrows(NcclException.class, () -> NcclComm.initAll(0, missing));
        assertEquals(Nccl.ncclInvalidArgument, e.code(), e.getMessage());
    }

    /**
     * Ranks that issue different collectives hang or corrupt memory on a GPU; the emulator reports
     * it on every rank (the communicator's asynchronous error) and leaves the buffers alone.
     */
    @Test
    void mismatchedCollectivesBreakEveryRankOnTheEmulator() throws Exception {
        needsTwoGpus();
        assumeTrue(CudaAvailability.isEmulator(), "a GPU hangs here; only the emulator can check");
        List<Integer> errors = twoRanks(new int[] {0, 1}, (rank, comm, stream) -> {
            int count = rank == 0 ? N : N - 1;
            try (DeviceArray buf = DeviceArray.filled(N, SENTINEL)) {
                Nccl.ncclAllReduce(buf.ptr, buf.ptr, count, Nccl.ncclFloat32, Nccl.ncclSum, comm.handle(), stream);
                Cudart.cudaStreamSynchronize(stream);
                assertEquals(SENTINEL, buf.floats()[0], "nothing was reduced");
                return comm.asyncError();
            }
        });
        assertEquals(List.of(Nccl.ncclInvalidUsage, Nccl.ncclInvalidUsage), errors);
        assertTrue(Nccl.ncclGetLastError(0L).contains("every rank must issue the same collectives"), Nccl.ncclGetLastError(0L));
    }
}
