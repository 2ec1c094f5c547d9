package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.nccl.Nccl;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * A GPU and a communicator in Java, for testing {@link NcclProcessGroup} without either: one FIFO
 * of device work for all streams (so every cross-stream order holds trivially), which runs as soon
 * as it is enqueued unless the test holds it or a "hanging" NCCL call blocks it, the way a kernel
 * waiting for a missing peer blocks its stream. ncclCommAbort ends that hang, as the real one does.
 * Memory is real native memory, so the group's fingerprint copies and comparisons are exercised.
 */
final class FakeNcclDriver implements NcclDriver {
    final int rank, size, device;
    final Arena arena = Arena.ofShared();
    final List<String> calls = new ArrayList<>();
    final AtomicLong clock = new AtomicLong();

    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final Map<Long, Boolean> events = new HashMap<>();
    final Set<Long> liveEvents = new HashSet<>(), liveStreams = new HashSet<>(), liveDevice = new HashSet<>(), liveHost = new HashSet<>();
    private long nextHandle = 0x1000;
    private boolean held, hung;

    /** NCCL calls whose description matches hang the device until abort. */
    volatile Predicate<String> hangsOn = d -> false;
    /** What another rank contributes to a fingerprint gather (rank, my bytes) -> its bytes. */
    volatile BiFunction<Integer, byte[], byte[]> peerFingerprint = (r, mine) -> mine;
    volatile int asyncError = Nccl.ncclSuccess;
    /** The next this many NCCL calls answer ncclInProgress ... */
    volatile int inProgressCalls;
    /** ... and ncclCommGetAsyncError then says ncclInProgress this many times (each poll advances the clock by this). */
    volatile int inProgressPolls;
    volatile long nanosPerPoll;
    volatile int aborts, destroys;

    FakeNcclDriver(int rank, int size) {
        this(rank, size, 0);
    }

    FakeNcclDriver(int rank, int size, int device) {
        this.rank = rank;
        this.size = size;
        this.device = device;
    }

    long now() {
        return clock.get();
    }

    void advance(Duration d) {
        clock.addAndGet(d.toNanos());
    }

    // ---- the device -----------------------------------------------------------------------------

    synchronized void hold() {
        held = true;
    }

    synchronized void release() {
        held = false;
        drain();
    }

    private synchronized void enqueue(String call, Runnable work) {
        calls.add(call);
        queue.add(work);
        drain();
    }

    private void drain() {
        while (!held && !hung && !queue.isEmpty()) queue.poll().run();
    }

    synchronized List<String> callNames() {
        return calls.stream().map(c -> c.replaceAll("\\(.*", "")).toList();
    }

    synchronized void clearCalls() {
        calls.clear();
    }

    // ---- NcclDriver -----------------------------------------------------------------------------

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public int device() { return device; }
    @Override public void makeCurrent() {}

    @Override
    public synchronized long createCommStream() {
        long s = nextHandle++;
        liveStreams.add(s);
        return s;
    }

    @Override
    public synchronized void destroyStream(long stream) {
        if (!liveStreams.remove(stream)) throw new IllegalStateException("double destroy of stream " + stream);
    }

    @Override
    public synchronized long createEvent() {
        long e = nextHandle++;
        liveEvents.add(e);
        return e;
    }

    @Override
    public synchronized void destroyEvent(long event) {
        if (!liveEvents.remove(event)) throw new IllegalStateException("double destroy of event " + event);
        events.remove(event);
    }

    @Override
    public synchronized void recordEvent(long event, long stream) {
        if (!liveEvents.contains(event)) throw new IllegalStateException("record of a destroyed event " + event);
        events.put(event, false);
        enqueue("recordEvent(" + event + ", " + stream + ")", () -> events.put(event, true));
    }

    @Override
    public synchronized boolean eventDone(long event) {
        if (!liveEvents.contains(event)) throw new IllegalStateException("query of a destroyed event " + event);
        return events.getOrDefault(event, true); // never recorded: done, as in CUDA
    }

    @Override
    public synchronized void streamWaitEvent(long stream, long event) {
        calls.add("streamWaitEvent(" + stream + ", " + event + ")");
    }

    @Override
    public synchronized long deviceAlloc(long bytes) {
        long p = arena.allocate(bytes, 256).address();
        liveDevice.add(p);
        return p;
    }

    @Override
    public synchronized void deviceFree(long pointer) {
        if (!liveDevice.remove(pointer)) throw new IllegalStateException("double free " + pointer);
    }

    @Override
    public synchronized long hostAlloc(long bytes) {
        long p = arena.allocate(bytes, 256).address();
        liveHost.add(p);
        return p;
    }

    @Override
    public synchronized void hostFree(long pointer) {
        if (!liveHost.remove(pointer)) throw new IllegalStateException("double free " + pointer);
    }

    private static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void copyHostToDeviceAsync(long dst, long src, long bytes, long stream) {
        enqueue("copyHostToDevice(" + bytes + ")", () -> MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes));
    }

    @Override
    public void copyDeviceToHostAsync(long dst, long src, long bytes, long stream) {
        enqueue("copyDeviceToHost(" + bytes + ")", () -> MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes));
    }

    @Override
    public int asyncError() {
        if (asyncError != Nccl.ncclSuccess) return asyncError;
        if (inProgressPolls > 0) {
            inProgressPolls--;
            clock.addAndGet(nanosPerPoll);
            return Nccl.ncclInProgress;
        }
        return Nccl.ncclSuccess;
    }

    @Override
    public String describe(int ncclResult) {
        return "ncclResult(" + ncclResult + "): fake";
    }

    /** When set, abort() first waits for it: the real ncclCommAbort frees memory, which waits for a device that may be stuck. */
    volatile java.util.concurrent.CountDownLatch abortHeldUntil;

    /** Like the real driver, which hands the communicator's handle to the first abort: later ones return at once. */
    private final java.util.concurrent.atomic.AtomicBoolean abortTaken = new java.util.concurrent.atomic.AtomicBoolean();

    @Override
    public void abort() {
        if (abortTaken.getAndSet(true)) return;
        var held = abortHeldUntil;
        if (held != null) {
            try {
                held.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        abortNow();
    }

    private synchronized void abortNow() {
        aborts++;
        calls.add("abort");
        hung = false; // the abort ends the kernels stuck on the device; what follows them runs
        drain();
    }

    @Override
    public synchronized void destroy(Duration timeout) {
        destroys++;
        calls.add("destroy");
    }

    private int nccl(String call, Runnable work) {
        enqueue(call, () -> {
            if (hangsOn.test(call)) {
                hung = true;
                return;
            }
            work.run();
        });
        if (inProgressCalls > 0) {
            inProgressCalls--;
            return Nccl.ncclInProgress;
        }
        return Nccl.ncclSuccess;
    }

    @Override
    public int allReduce(long send, long recv, long count, int type, int op, long stream) {
        return nccl("allReduce(" + count + ", type " + type + ", op " + op + ")", () -> {});
    }

    @Override
    public int broadcast(long send, long recv, long count, int type, int root, long stream) {
        return nccl("broadcast(" + count + ", root " + root + ")", () -> {});
    }

    @Override
    public int reduce(long send, long recv, long count, int type, int op, int root, long stream) {
        return nccl("reduce(" + count + ", root " + root + ")", () -> {});
    }

    @Override
    public int allGather(long send, long recv, long sendCount, int type, long stream) {
        return nccl("allGather(" + sendCount + ", type " + type + ")", () -> {
            byte[] mine = at(send, sendCount).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            for (int r = 0; r < size; r++) {
                byte[] theirs = r == rank ? mine : peerFingerprint.apply(r, mine.clone());
                MemorySegment.copy(MemorySegment.ofArray(theirs), 0, at(recv + r * sendCount, sendCount), 0, sendCount);
            }
        });
    }

    @Override
    public int reduceScatter(long send, long recv, long recvCount, int type, int op, long stream) {
        return nccl("reduceScatter(" + recvCount + ")", () -> {});
    }

    @Override
    public int send(long buffer, long count, int type, int peer, long stream) {
        return nccl("send(" + count + ", peer " + peer + ")", () -> {});
    }

    @Override
    public int recv(long buffer, long count, int type, int peer, long stream) {
        return nccl("recv(" + count + ", peer " + peer + ")", () -> {});
    }
}
