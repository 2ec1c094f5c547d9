package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.NcclException;
import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NCCL on one GPU, world size 1 (NCCL refuses two ranks on one device). Every result is checked
 * against {@link NcclReference} over the ranks' contributions, and every receive buffer starts as
 * a sentinel, so a call that silently did nothing fails. Each test makes its own communicator from
 * a fresh unique id (an id serves exactly one communicator) and frees everything it allocated.
 */
@Tag("gpu")
class NcclGpuTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int N = 1000;
    private static final float SENTINEL = -77f;

    private long stream;

    @BeforeEach
    void needsAGpuAndNccl() {
        assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), () -> Nccl.library().failure().map(Throwable::getMessage).orElse("NCCL not loaded"));
        Cudart.cudaSetDevice(0);
        stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
    }

    @AfterEach
    void destroyStream() {
        if (stream != 0) Cudart.cudaStreamDestroy(stream);
        stream = 0;
    }

    /** Multiples of 0.25 in [-8, 8): exact in float32, bfloat16 and float16, and so in every reduction of one rank. */
    private static float[] input(int n, int seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = ((i * 7 + seed) % 64) * 0.25f - 8f;
        return v;
    }

    private static NcclComm worldOfOne() {
        NcclComm comm = NcclComm.initRank(1, Nccl.ncclGetUniqueId(), 0);
        assertEquals(1, comm.count(), "these tests are written for one rank on one GPU");
        return comm;
    }

    private void sync() {
        Cudart.cudaStreamSynchronize(stream);
    }

    // ---- library and communicators -----------------------------------------------------------

    @Test
    void versionIsDecodedFromTheLibrary() {
        int code = Nccl.ncclGetVersion();
        assertEquals(NcclVersion.decode(code).toString(), Nccl.versionString());
        assertTrue(Nccl.versionString().matches("\\d+\\.\\d+\\.\\d+"), Nccl.versionString());
        assertEquals(code, Nccl.version().code());
    }

    @Test
    void blockingInitThroughAUniqueIdShippedAsBytes() {
        NcclUniqueId shipped = NcclUniqueId.fromBytes(Nccl.ncclGetUniqueId().toBytes());
        NcclComm comm = NcclComm.initRank(1, shipped, 0);
        try {
            assertEquals(1, comm.count());
            assertEquals(0, comm.userRank());
            assertEquals(Cudart.cudaGetDevice(), comm.cuDevice());
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        } finally {
            comm.close();
        }
        assertTrue(comm.isClosed());
        assertDoesNotThrow(comm::close);
        assertThrows(IllegalStateException.class, comm::handle);
    }

    @Test
    void nonBlockingInitThroughAConfigBecomesReady() {
        NcclConfig config = NcclConfig.DEFAULTS.nonBlocking().withCommName("ddp4j-nccl-test");
        try (NcclComm comm = NcclComm.initRank(1, Nccl.ncclGetUniqueId(), 0, config)) {
            comm.awaitReady(TIMEOUT);
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
            assertEquals(1, comm.count());
            assertEquals(0, comm.userRank());

            // a collective on a non-blocking communicator may answer ncclInProgress: not an error
            float[] x = input(N, 1);
            try (DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                int status = Nccl.ncclAllReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, comm.handle(), stream);
                assertTrue(status == Nccl.ncclSuccess || status == Nccl.ncclInProgress, "status " + status);
                if (status == Nccl.ncclInProgress) comm.awaitCompletion("ncclAllReduce", TIMEOUT);
                sync();
                assertArrayEquals(NcclReference.reduce(List.of(x), Nccl.ncclSum), recv.floats());
            }
            comm.finalizeAndWait(TIMEOUT);
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        }
    }

    @Test
    void initAllMakesOneCommunicatorPerListedDevice() {
        List<NcclComm> comms = NcclComm.initAll(0);
        try {
            assertEquals(1, comms.size());
            NcclComm c = comms.get(0);
            assertEquals(1, c.count());
            assertEquals(0, c.userRank());
            assertEquals(0, c.cuDevice());
        } finally {
            comms.forEach(NcclComm::close);
        }
    }

    @Test
    void finalizeThenDestroy() {
        NcclComm comm = worldOfOne();
        try {
            comm.finalizeAndWait(TIMEOUT);
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        } finally {
            comm.close();
        }
        assertTrue(comm.isClosed());
    }

    @Test
    void abortFreesTheCommunicatorOnceAndForAll() {
        NcclComm comm = worldOfOne();
        comm.abort();
        assertTrue(comm.isClosed());
        assertThrows(IllegalStateException.class, comm::count);
        assertDoesNotThrow(comm::abort);
        assertDoesNotThrow(comm::close);
    }

    // ---- collectives -------------------------------------------------------------------------

    @ParameterizedTest(name = "op {0}")
    @ValueSource(ints = {Nccl.ncclSum, Nccl.ncclAvg, Nccl.ncclMax, Nccl.ncclMin, Nccl.ncclProd})
    void allReduceFloat32(int op) {
        float[] x = input(N, op);
        try (NcclComm comm = worldOfOne(); DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
            Nccl.ncclAllReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat32, op, comm.handle(), stream);
            sync();
            assertArrayEquals(NcclReference.reduce(List.of(x), op), recv.floats());
            assertArrayEquals(x, send.floats(), "out of place: the input is left as it was");
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        }
    }

    @Test
    void allReduceInPlace() {
        float[] x = input(N, 3);
        try (NcclComm comm = worldOfOne(); DeviceArray buf = DeviceArray.of(x)) {
            Nccl.ncclAllReduce(buf.ptr, buf.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, comm.handle(), stream);
            sync();
            assertArrayEquals(NcclReference.reduce(List.of(x), Nccl.ncclSum), buf.floats());
        }
    }

    @ParameterizedTest(name = "op {0}")
    @ValueSource(ints = {Nccl.ncclSum, Nccl.ncclAvg, Nccl.ncclMax})
    void allReduceBfloat16(int op) {
        float[] x = input(N, 5);
        try (NcclComm comm = worldOfOne();
             DeviceArray send = DeviceArray.of(NcclReference.toBf16(x));
             DeviceArray recv = DeviceArray.of(NcclReference.toBf16(filledWith(N, SENTINEL)))) {
            Nccl.ncclAllReduce(send.ptr, recv.ptr, N, Nccl.ncclBfloat16, op, comm.handle(), stream);
            sync();
            assertArrayEquals(NcclReference.reduce(List.of(x), op), NcclReference.fromBf16(recv.shorts()));
        }
    }

    @ParameterizedTest(name = "op {0}")
    @ValueSource(ints = {Nccl.ncclSum, Nccl.ncclAvg, Nccl.ncclMax})
    void allReduceFloat16(int op) {
        float[] x = input(N, 9);
        try (NcclComm comm = worldOfOne();
             DeviceArray send = DeviceArray.of(NcclReference.toF16(x));
             DeviceArray recv = DeviceArray.of(NcclReference.toF16(filledWith(N, SENTINEL)))) {
            Nccl.ncclAllReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat16, op, comm.handle(), stream);
            sync();
            assertArrayEquals(NcclReference.reduce(List.of(x), op), NcclReference.fromF16(recv.shorts()));
        }
    }

    @Test
    void broadcastFromRootZero() {
        float[] x = input(N, 11);
        try (NcclComm comm = worldOfOne(); DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
            Nccl.ncclBroadcast(send.ptr, recv.ptr, N, Nccl.ncclFloat32, 0, comm.handle(), stream);
            sync();
            assertArrayEquals(x, recv.floats());
        }
    }

    @Test
    void reduceToRootZero() {
        float[] x = input(N, 13);
        try (NcclComm comm = worldOfOne(); DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
            Nccl.ncclReduce(send.ptr, recv.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, 0, comm.handle(), stream);
            sync();
            assertArrayEquals(NcclReference.reduce(List.of(x), Nccl.ncclSum), recv.floats());
        }
    }

    @Test
    void allGatherPlacesRankIAtOffsetI() {
        float[] x = input(N, 17);
        try (NcclComm comm = worldOfOne(); DeviceArray send = DeviceArray.of(x);
             DeviceArray recv = DeviceArray.filled(N * comm.count(), SENTINEL)) {
            Nccl.ncclAllGather(send.ptr, recv.ptr, N, Nccl.ncclFloat32, comm.handle(), stream);
            sync();
            float[] got = recv.floats();
            for (int r = 0; r < comm.count(); r++) {
                assertArrayEquals(x, Arrays.copyOfRange(got, r * N, (r + 1) * N), "block of rank " + r);
            }
        }
    }

    @Test
    void reduceScatterGivesThisRankItsReducedBlock() {
        try (NcclComm comm = worldOfOne()) {
            int ranks = comm.count();
            float[] x = input(N * ranks, 19);
            try (DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
                Nccl.ncclReduceScatter(send.ptr, recv.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, comm.handle(), stream);
                sync();
                int rank = comm.userRank();
                float[] reduced = NcclReference.reduce(List.of(x), Nccl.ncclSum);
                assertArrayEquals(Arrays.copyOfRange(reduced, rank * N, (rank + 1) * N), recv.floats());
            }
        }
    }

    /**
     * NCCL pairs a send to self with the matching receive of the same group (enqueue.cc of 2.28:
     * "send to self without a matching recv" is ncclInvalidUsage only when one of them is missing);
     * separate buffers, because an in-place send to self is skipped.
     */
    @Test
    void sendAndReceiveToSelfInsideAGroup() {
        float[] x = input(N, 23);
        try (NcclComm comm = worldOfOne(); DeviceArray send = DeviceArray.of(x); DeviceArray recv = DeviceArray.filled(N, SENTINEL)) {
            Nccl.ncclGroupStart();
            try {
                Nccl.ncclSend(send.ptr, N, Nccl.ncclFloat32, 0, comm.handle(), stream);
                Nccl.ncclRecv(recv.ptr, N, Nccl.ncclFloat32, 0, comm.handle(), stream);
            } finally {
                Nccl.ncclGroupEnd();
            }
            sync();
            assertArrayEquals(x, recv.floats());
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        }
    }

    // ---- bad arguments: only cases NCCL itself checks before touching memory ------------------

    /** CommCheck: a NULL communicator is ncclInvalidArgument, before anything reads it. */
    @Test
    void aNullCommunicatorIsRefusedByNccl() {
        NcclException e = assertThrows(NcclException.class, () -> Nccl.ncclCommGetAsyncError(0L));
        assertEquals(Nccl.ncclInvalidArgument, e.code());
        assertEquals("ncclCommGetAsyncError", e.call());
        assertEquals(Nccl.ncclInvalidArgument, assertThrows(NcclException.class, () -> Nccl.ncclCommCount(0L)).code());
        try (DeviceArray a = DeviceArray.of(input(N, 29)); DeviceArray b = DeviceArray.filled(N, SENTINEL)) {
            NcclException c = assertThrows(NcclException.class,
                    () -> Nccl.ncclAllReduce(a.ptr, b.ptr, N, Nccl.ncclFloat32, Nccl.ncclSum, 0L, stream));
            assertEquals(Nccl.ncclInvalidArgument, c.code());
            assertTrue(c.getMessage().startsWith("ncclAllReduce failed: ncclInvalidArgument"), c.getMessage());
        }
    }

    /** ArgsCheck rejects a datatype outside 0..ncclNumTypes-1 before the op or buffers are used. */
    @Test
    void anUnknownDatatypeIsRefusedByNccl() {
        try (NcclComm comm = worldOfOne(); DeviceArray a = DeviceArray.of(input(N, 31)); DeviceArray b = DeviceArray.filled(N, SENTINEL)) {
            NcclException e = assertThrows(NcclException.class,
                    () -> Nccl.ncclAllReduce(a.ptr, b.ptr, N, 99, Nccl.ncclSum, comm.handle(), stream));
            assertEquals(Nccl.ncclInvalidArgument, e.code());
            assertEquals("ncclInvalidArgument", e.codeName());
            // a blocking communicator keeps no asynchronous error from a refused call
            assertEquals(Nccl.ncclSuccess, comm.asyncError());
        }
    }

    /** ncclCommInitRankDev checks 0 <= rank < nranks before it allocates anything. */
    @Test
    void aRankOutsideTheWorldIsRefusedAtInit() {
        NcclException e = assertThrows(NcclException.class, () -> Nccl.ncclCommInitRank(1, Nccl.ncclGetUniqueId(), 5));
        assertEquals(Nccl.ncclInvalidArgument, e.code());
        assertTrue(e.call().contains("rank 5 of 1"), e.call());
    }

    /** parseCommConfig accepts blocking only as 0, 1 or NCCL_CONFIG_UNDEF_INT. */
    @Test
    void aConfigNcclRejectsGivesNcclException() {
        NcclException e = assertThrows(NcclException.class,
                () -> NcclComm.initRank(1, Nccl.ncclGetUniqueId(), 0, NcclConfig.DEFAULTS.withBlocking(7)));
        assertEquals(Nccl.ncclInvalidArgument, e.code());
    }

    private static float[] filledWith(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
