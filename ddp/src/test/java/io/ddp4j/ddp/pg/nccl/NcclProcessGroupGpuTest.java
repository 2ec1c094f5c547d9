package io.ddp4j.ddp.pg.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.store.TCPStore;
import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The nccl process group on one GPU, world size 1 (NCCL refuses two ranks on one device): every
 * collective on float32 and bfloat16 device buffers, ordering against a caller's stream, and a
 * forced timeout. Receive buffers start as a sentinel, so an op that silently did nothing fails.
 * Every wait is bounded; the tests that abort a communicator run last.
 */
@Tag("gpu")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NcclProcessGroupGpuTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60), WAIT = Duration.ofSeconds(30);
    private static final int N = 1000;
    private static final float SENTINEL = -77f;

    private TCPStore store;
    private long compute;
    private final List<Long> allocations = new ArrayList<>();
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private String testName;

    @BeforeEach
    void needsAGpuAndNccl(TestInfo info) {
        assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        assumeTrue(Nccl.isLoaded(), () -> Nccl.library().failure().map(Throwable::getMessage).orElse("NCCL not loaded"));
        Cudart.cudaSetDevice(0);
        compute = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        store = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
        testName = info.getTestMethod().map(m -> m.getName()).orElse("t") + "-" + System.nanoTime();
    }

    @AfterEach
    void free() throws Exception {
        for (int i = closeLast.size() - 1; i >= 0; i--) closeLast.get(i).close();
        closeLast.clear();
        if (compute != 0) {
            Cudart.cudaStreamSynchronize(compute);
            Cudart.cudaStreamDestroy(compute);
        }
        for (long p : allocations) Cudart.cudaFree(p);
        allocations.clear();
        if (store != null) store.close();
    }

    private NcclProcessGroup group(Duration collectiveTimeout) {
        NcclProcessGroup pg = NcclProcessGroup.create(store, 0, 1, List.of(0), testName, TIMEOUT, collectiveTimeout, Map.of());
        closeLast.add(pg);
        return pg;
    }

    // ---- device buffers -------------------------------------------------------------------------

    /** Multiples of 0.25 in [-8, 8) (and never 0): exact in float32 and bfloat16, and in every one-rank reduction. */
    private static float[] input(int n, int seed) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ((i * 7 + seed) % 64) * 0.25f - 8f;
            if (v[i] == 0f) v[i] = 0.5f;
        }
        return v;
    }

    private static float[] filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    private DeviceBuffer upload(DType dtype, float[] values) {
        long bytes = (long) values.length * dtype.byteSize();
        long p = Cudart.cudaMalloc(Math.max(bytes, 16));
        allocations.add(p);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(Math.max(bytes, 16), 8);
            for (int i = 0; i < values.length; i++) {
                if (dtype == DType.F32) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, values[i]);
                else host.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
            }
            Cudart.cudaMemcpy(p, host.address(), bytes, Cudart.cudaMemcpyHostToDevice);
            // from pageable memory cudaMemcpy may return before its DMA lands, and the ops run on
            // non-blocking streams that do not order with it
            Cudart.cudaDeviceSynchronize();
        }
        return new DeviceBuffer(p, dtype, values.length, 0);
    }

    private static float[] download(DeviceBuffer b) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(Math.max(b.byteSize(), 16), 8);
            Cudart.cudaMemcpy(host.address(), b.pointer(), b.byteSize(), Cudart.cudaMemcpyDeviceToHost);
            return fromHost(host, b.dtype(), (int) b.count());
        }
    }

    private static float[] fromHost(MemorySegment host, DType dtype, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = dtype == DType.F32 ? host.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                    : Float.intBitsToFloat((host.getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff) << 16);
        }
        return out;
    }

    // ---- creation ---------------------------------------------------------------------------------

    @Test
    @Order(1)
    void aNonBlockingCommunicatorBecomesReadyAndServes() {
        NcclProcessGroup pg = group(TIMEOUT);
        assertEquals(0, pg.rank());
        assertEquals(1, pg.size());
        assertEquals("nccl", pg.backend());
        assertEquals(0, pg.device());
        assertTrue(pg.commStream() != 0);
        Work b = pg.barrier(compute);
        b.await(WAIT);
        assertTrue(b.isSuccess());
        assertTrue(pg.failure().isEmpty());
    }

    @Test
    @Order(2)
    void distributedInitWithTheNcclBackendRunsOnDeviceBuffers() {
        InitOptions o = InitOptions.withStore(store, 0, 1).withBackend("nccl").withTimeout(TIMEOUT).withEnv(Map.of());
        float[] x = input(N, 3);
        DeviceBuffer buf = upload(DType.F32, x);
        try (Distributed d = Distributed.init(o)) {
            ProcessGroup pg = d.group();
            assertInstanceOf(NcclProcessGroup.class, pg);
            pg.allReduce(buf, ReduceOp.SUM).await(WAIT); // on the legacy default stream
            assertArrayEquals(x, download(buf));
        }
    }

    // ---- every collective -----------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16"})
    @Order(3)
    void everyCollectiveOnOneRank(DType dtype) {
        NcclProcessGroup pg = group(TIMEOUT);
        float[] x = input(N, 1);
        for (ReduceOp op : ReduceOp.values()) {
            DeviceBuffer b = upload(dtype, x);
            Work w = pg.allReduce(b, op, compute);
            w.await(WAIT);
            assertTrue(w.isSuccess(), w.toString());
            assertArrayEquals(x, download(b), "allReduce " + op + " of one rank is the identity");
        }
        DeviceBuffer bc = upload(dtype, x);
        pg.broadcast(bc, 0, compute).await(WAIT);
        assertArrayEquals(x, download(bc), "broadcast");

        DeviceBuffer rd = upload(dtype, x);
        pg.reduce(rd, 0, ReduceOp.SUM, compute).await(WAIT);
        assertArrayEquals(x, download(rd), "reduce");

        DeviceBuffer in = upload(dtype, x), out = upload(dtype, filled(N, SENTINEL));
        pg.allGather(out, in, compute).await(WAIT);
        assertArrayEquals(x, download(out), "allGather writes its output");

        DeviceBuffer rsIn = upload(dtype, x), rsOut = upload(dtype, filled(N, SENTINEL));
        pg.reduceScatter(rsOut, rsIn, ReduceOp.AVG, compute).await(WAIT);
        assertArrayEquals(x, download(rsOut), "reduceScatter writes its output");

        DeviceBuffer part = upload(dtype, filled(N, SENTINEL));
        pg.allGather(part.slice(0, 10), in.slice(5, 10), compute).await(WAIT);
        float[] got = download(part);
        for (int i = 0; i < 10; i++) assertEquals(x[5 + i], got[i], "slice " + i);
        assertEquals(SENTINEL, got[10], "nothing past the slice");

        pg.barrier(compute).await(WAIT);
        Work empty = pg.allReduce(new DeviceBuffer(0, dtype, 0, 0), ReduceOp.SUM, compute);
        empty.await(WAIT);
        assertTrue(empty.isSuccess());
    }

    @Test
    @Order(4)
    void manyOpsInFlightRecycleSlotsAndEvents() {
        NcclProcessGroup pg = group(TIMEOUT);
        float[] x = input(N, 5);
        DeviceBuffer b = upload(DType.F32, x);
        List<Work> works = new ArrayList<>();
        for (int i = 0; i < NcclProcessGroup.DEFAULT_SLOTS * 3; i++) works.add(pg.allReduce(b, ReduceOp.MAX, compute));
        for (Work w : works) w.await(WAIT);
        assertArrayEquals(x, download(b));
        assertEquals(0, pg.pendingCount());
    }

    // ---- streams and events ---------------------------------------------------------------------

    @Test
    @Order(5)
    void theCommunicationStreamWaitsForTheCallersStream() throws Exception {
        assumeTrue(StreamGate.isAvailable(), "libcuda has no cuStreamWaitValue32");
        NcclProcessGroup pg = group(TIMEOUT);
        float[] before = filled(N, 1.5f), after = input(N, 9);
        DeviceBuffer in = upload(DType.F32, before), out = upload(DType.F32, filled(N, SENTINEL));
        long pinned = Cudart.cudaMallocHost((long) N * 4);
        try (StreamGate gate = new StreamGate()) {
            MemorySegment.ofAddress(pinned).reinterpret((long) N * 4).copyFrom(MemorySegment.ofArray(after));
            assumeTrue(gate.closeOn(compute), "the driver refused cuStreamWaitValue32");
            Cudart.cudaMemcpyAsync(in.pointer(), pinned, (long) N * 4, Cudart.cudaMemcpyHostToDevice, compute); // the caller's last write
            Work w = pg.allGather(out, in, compute);
            Thread.sleep(300);
            assertFalse(w.isCompleted(), "the op must wait for the caller's stream");
            gate.open();
            w.await(WAIT);
            assertArrayEquals(after, download(out), "the op saw the caller's write, enqueued before it");
        } finally {
            Cudart.cudaStreamSynchronize(compute);
            Cudart.cudaFreeHost(pinned);
        }
    }

    @Test
    @Order(6)
    void awaitOnStreamOrdersLaterWorkOnAnotherStreamWithoutBlockingTheHost() throws Exception {
        assumeTrue(StreamGate.isAvailable(), "libcuda has no cuStreamWaitValue32");
        NcclProcessGroup pg = group(TIMEOUT);
        float[] x = input(N, 11);
        DeviceBuffer in = upload(DType.F32, x), out = upload(DType.F32, filled(N, SENTINEL));
        long consumer = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        long pinned = Cudart.cudaMallocHost((long) N * 4);
        try (StreamGate gate = new StreamGate()) {
            assumeTrue(gate.closeOn(compute), "the driver refused cuStreamWaitValue32");
            Work w = pg.allGather(out, in, compute);
            long t0 = System.nanoTime();
            w.awaitOnStream(consumer);
            assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "awaitOnStream does not block the host");
            Cudart.cudaMemcpyAsync(pinned, out.pointer(), (long) N * 4, Cudart.cudaMemcpyDeviceToHost, consumer);
            Thread.sleep(200);
            assertFalse(Cudart.cudaStreamQuery(consumer), "the consumer stream waits for the op");
            gate.open();
            Cudart.cudaStreamSynchronize(consumer);
            float[] got = new float[N];
            MemorySegment.ofArray(got).copyFrom(MemorySegment.ofAddress(pinned).reinterpret((long) N * 4));
            assertArrayEquals(x, got);
            assertTrue(w.isSuccess());
        } finally {
            Cudart.cudaStreamSynchronize(compute);
            Cudart.cudaStreamDestroy(consumer);
            Cudart.cudaFreeHost(pinned);
        }
    }

    // ---- messages ---------------------------------------------------------------------------------

    @Test
    @Order(7)
    void wrongBuffersAreRefusedWithMessagesThatSayWhy() {
        NcclProcessGroup pg = group(TIMEOUT);
        var host = assertThrows(UnsupportedOperationException.class, () -> pg.allReduce(HostBuffer.of(1f, 2f), ReduceOp.SUM));
        assertTrue(host.getMessage().startsWith("nccl works on CUDA buffers"), host.getMessage());
        DeviceBuffer elsewhere = new DeviceBuffer(0x1000, DType.F32, 4, 7);
        var dev = assertThrows(IllegalArgumentException.class, () -> pg.broadcast(elsewhere, 0, compute));
        assertTrue(dev.getMessage().contains("is on cuda:7 but rank 0 of nccl group"), dev.getMessage());
        pg.barrier(compute).await(WAIT); // refusals leave the group usable
    }

    // ---- forced failures (last: they abort communicators) ---------------------------------------

    @Test
    @Order(100)
    void aCollectiveStuckBehindTheCallersStreamIsAbortedByTheWatchdog() {
        assumeTrue(StreamGate.isAvailable(), "libcuda has no cuStreamWaitValue32");
        NcclProcessGroup pg = group(Duration.ofSeconds(1));
        DeviceBuffer b = upload(DType.F32, input(N, 2));
        StreamGate gate = new StreamGate();
        closeLast.add(gate); // closeLast runs backwards: the gate opens before the group closes, even if an assertion fails
        assumeTrue(gate.closeOn(compute), "the driver refused cuStreamWaitValue32");
        Work w = pg.allReduce(b, ReduceOp.SUM, compute);
        long t0 = System.nanoTime();
        var e = assertTimeoutPreemptively(Duration.ofSeconds(45),
                () -> assertThrows(NcclAbortedException.class, () -> w.await(WAIT)));
        assertTrue(System.nanoTime() - t0 < 20_000_000_000L, "aborted soon after the 1 s timeout");
        assertEquals(NcclAbortedException.Reason.TIMEOUT, e.reason());
        assertEquals("allReduce", e.op());
        assertEquals(0, e.sequence());
        assertTrue(e.getMessage().startsWith("nccl allReduce #0 (sum, float32, 1000 elements) on rank 0 of 1")
                && e.getMessage().contains("collective timeout of 1 s"), e.getMessage());
        var refused = assertThrows(IllegalStateException.class, () -> pg.barrier(compute));
        assertTrue(refused.getMessage().contains("was aborted and refuses new work (barrier)"), refused.getMessage());
        gate.open();
    }

    @Test
    @Order(101)
    void aSendThatNoRecvMatchesFailsInsteadOfHanging() {
        NcclProcessGroup pg = group(Duration.ofSeconds(2));
        DeviceBuffer b = upload(DType.F32, input(N, 4));
        long t0 = System.nanoTime();
        RuntimeException e = assertTimeoutPreemptively(Duration.ofSeconds(45), () -> assertThrows(RuntimeException.class, () -> {
            Work w = pg.send(b, 0, 0, compute); // to itself, with no recv: NCCL either refuses it or it never completes
            w.await(WAIT);
        }));
        assertTrue(System.nanoTime() - t0 < 30_000_000_000L);
        assertTrue(e.getMessage().contains("send #0 (to 0, tag 0, float32, 1000 elements) on rank 0 of 1"), e.getMessage());
        assertTrue(pg.failure().isPresent(), "the group is aborted either way");
    }
}
