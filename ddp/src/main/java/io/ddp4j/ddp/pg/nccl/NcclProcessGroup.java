package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.bindings.nccl.NcclTimeoutException;
import io.ddp4j.bindings.nccl.NcclUniqueId;
import io.ddp4j.ddp.Backends;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The {@code nccl} backend: NCCL collectives on CUDA device memory ({@link DeviceBuffer}), one
 * communicator per group, asynchronous in the GPU sense (DESIGN.md, principle 4): issuing an op
 * only enqueues work, nothing synchronises the device.
 *
 * <h2>Streams and events</h2>
 * The group owns a communication stream (non-blocking, highest priority). Each op:
 * <ol>
 *   <li>records the group's start event on the caller's stream ({@link CurrentStream}, or the
 *       explicit-stream overloads here; the legacy default stream 0 when none is given) and makes
 *       the communication stream wait for it, so the op sees all work enqueued there before;</li>
 *   <li>(collectives) all-gathers its {@link Fingerprint} on the communication stream and copies
 *       the result to page-locked host memory, then records the fingerprint event;</li>
 *   <li>enqueues the NCCL call, then records the op's own completion event.</li>
 * </ol>
 * {@link Work#await()} polls that event; {@link Work#awaitOnStream(long)} makes another stream
 * wait for it without blocking the host (what DDP does before the optimizer step). The caller
 * must keep the buffers alive, and not reuse them on another stream, until the work is done or
 * a stream that uses them waited for it.
 *
 * <h2>Checks, watchdog, abort</h2>
 * Every collective's fingerprint (sequence number, op, reduce op, dtype, count, root) is compared
 * with every other rank's as soon as its gather has landed (by whichever comes first: the
 * watchdog, or a thread looking at the work); a difference aborts the group with a
 * {@link CollectiveMismatchException} naming both versions. The gather is the same size on every
 * rank whatever each one called, so it cannot be what hangs; the mismatched op after it may hang
 * or not, and the abort ends it either way. The check costs one 32-byte all-gather and two tiny
 * copies per collective, and never blocks the host.
 *
 * <p>A daemon watchdog thread per group polls {@code ncclCommGetAsyncError} and the age of every
 * pending op. When an op is older than the collective timeout, or NCCL reports an error, it fails
 * every pending op with an {@link NcclAbortedException} naming the op, its sequence number, this
 * rank and the reason, then aborts the communicator (ncclCommAbort, which also ends NCCL kernels
 * stuck on the device). After that the group refuses new work, naming the reason.
 *
 * <p>Point-to-point ops are matched by NCCL in issue order per peer; tags are not transmitted
 * (as in PyTorch's NCCL backend) and so cannot be checked. The HostBuffer ops are refused:
 * nccl works on CUDA buffers. {@link #barrier()} is the fingerprint all-gather alone.
 */
public final class NcclProcessGroup implements ProcessGroup {
    /** Environment variable that picks the CUDA device explicitly; otherwise LOCAL_RANK's device, else 0. */
    public static final String DEVICE_ENV = "DDP4J_CUDA_DEVICE";
    /** How many collectives may have their fingerprints in flight before an issuing thread waits for the oldest. */
    static final int DEFAULT_SLOTS = 64;
    static final Duration DEFAULT_WATCHDOG_INTERVAL = Duration.ofMillis(100);

    private static final long FIRST_PAUSE_NANOS = 2_000, MAX_PAUSE_NANOS = 1_000_000;
    /** How long the thread that ends a group waits for ncclCommAbort before going on with its exception. */
    private static final long ABORT_WAIT_MILLIS = 2_000;

    private final String name;
    private final int rank, size;
    private final List<Integer> globalRanks;
    private final Duration timeout;
    private final long timeoutNanos;
    private final NcclDriver driver;
    private final LongSupplier clock;

    /** Held while an op is issued (sequence numbers, start event, slots): ops are enqueued in issue order. */
    private final ReentrantLock issueLock = new ReentrantLock();
    /** Held around each NCCL call, short: ncclCommAbort never frees the communicator under a call in flight. */
    private final ReentrantLock ncclLock = new ReentrantLock();
    /**
     * Set, under {@link #ncclLock}, by the one thread that frees the communicator (the abort after a
     * failure, or close()): NCCL calls after it fail instead of touching it, and nobody else frees it.
     */
    private boolean communicatorClaimed;
    /** Counted down once the communicator's owner has aborted or destroyed it: close() frees nothing before. */
    private final CountDownLatch communicatorReleased = new CountDownLatch(1);
    /** Read-held by threads that query the group's events and read its buffers; close() write-holds it to free them. */
    private final ReentrantReadWriteLock resources = new ReentrantReadWriteLock();
    private boolean resourcesFreed; // guarded by resources
    private final ConcurrentLinkedDeque<NcclWork> pending = new ConcurrentLinkedDeque<>();
    private final ArrayDeque<Long> eventPool = new ArrayDeque<>();
    private boolean eventPoolClosed;

    private final long commStream, startEvent;
    private final Slot[] slots;
    private final long deviceBlock, hostBlock;
    private long collectiveSequence, p2pSequence;

    private volatile NcclAbortedException failure;
    private volatile boolean closed;
    private final Thread watchdog;

    /** One in-flight fingerprint gather: device send/receive areas, their host copies, an event. */
    static final class Slot {
        final long deviceSend, deviceRecv, hostSend, hostRecv, event;
        NcclWork owner; // guarded by issueLock

        Slot(long deviceSend, long deviceRecv, long hostSend, long hostRecv, long event) {
            this.deviceSend = deviceSend;
            this.deviceRecv = deviceRecv;
            this.hostSend = hostSend;
            this.hostRecv = hostRecv;
            this.event = event;
        }
    }

    NcclProcessGroup(String name, List<Integer> globalRanks, NcclDriver driver, Duration timeout, LongSupplier clock,
                     Duration watchdogInterval, int slotCount) {
        this.name = name;
        this.rank = driver.rank();
        this.size = driver.size();
        this.globalRanks = List.copyOf(globalRanks);
        if (this.globalRanks.size() != size) {
            throw new IllegalArgumentException("globalRanks has " + globalRanks.size() + " entries for a group of " + size);
        }
        this.timeout = Durations.requirePositive(timeout, "collective timeout");
        this.timeoutNanos = saturatedNanos(timeout);
        this.driver = driver;
        this.clock = clock;
        driver.makeCurrent();
        this.commStream = driver.createCommStream();
        this.startEvent = driver.createEvent();
        long fp = Fingerprint.BYTES, perSlot = fp + fp * size;
        this.deviceBlock = driver.deviceAlloc(perSlot * slotCount);
        this.hostBlock = driver.hostAlloc(perSlot * slotCount);
        this.slots = new Slot[slotCount];
        for (int i = 0; i < slotCount; i++) {
            long off = perSlot * i;
            slots[i] = new Slot(deviceBlock + off, deviceBlock + off + fp, hostBlock + off, hostBlock + off + fp, driver.createEvent());
        }
        if (watchdogInterval != null) {
            long intervalNanos = watchdogInterval.toNanos();
            this.watchdog = Thread.ofPlatform().daemon().name("ddp4j-nccl-watchdog-" + name + "-rank" + rank).start(() -> watch(intervalNanos));
        } else {
            this.watchdog = null;
        }
    }

    // ---- creation -------------------------------------------------------------------------------

    /** The factory {@link Backends} registers under "nccl". */
    public static NcclProcessGroup create(Backends.GroupSpec spec) {
        return create(spec.store(), spec.rank(), spec.size(), spec.globalRanks(), spec.name(), spec.timeout(), spec.env());
    }

    /**
     * Joins group {@code name} of {@code size} ranks: rank 0 makes the NCCL unique id and shares it
     * through {@code store} (which should be private to this group, e.g. a PrefixStore); every rank
     * creates a non-blocking communicator and waits, up to {@code timeout}, until it is ready. The
     * device is {@value #DEVICE_ENV} if set, else LOCAL_RANK, else 0. Fails with a message that
     * says why (no NCCL library, no GPU, a rank that never joined) rather than crashing.
     */
    public static NcclProcessGroup create(Store store, int rank, int size, List<Integer> globalRanks, String name, Duration timeout,
                                          Map<String, String> env) {
        return create(store, rank, size, globalRanks, name, timeout, timeout, env);
    }

    /** {@link #create(Store, int, int, List, String, Duration, Map)} with its own bound for init (tests use a tiny collective timeout). */
    static NcclProcessGroup create(Store store, int rank, int size, List<Integer> globalRanks, String name, Duration initTimeout,
                                   Duration collectiveTimeout, Map<String, String> env) {
        if (size < 1) throw new IllegalArgumentException("group size must be >= 1, got " + size);
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (size - 1));
        Durations.requirePositive(initTimeout, "init timeout");
        Durations.requirePositive(collectiveTimeout, "collective timeout");
        Optional<String> unusable = whyUnusable();
        if (unusable.isPresent()) {
            String why = "the nccl backend cannot run on this machine: " + unusable.get()
                    + ". Use the tcp backend for CPU-only runs, or point ddp4j at CUDA and NCCL (DDP4J_CUDA_PATH, LD_LIBRARY_PATH).";
            if (rank == 0) UniqueIdExchange.publishFailure(store, name, why);
            throw new DistributedException("rank " + rank + " of group '" + name + "': " + why);
        }
        int device;
        try {
            device = chooseDevice(env, Cudart.cudaGetDeviceCount());
        } catch (RuntimeException e) {
            if (rank == 0) UniqueIdExchange.publishFailure(store, name, e.getMessage());
            throw e;
        }
        NcclUniqueId id = UniqueIdExchange.exchange(store, name, rank, Nccl::ncclGetUniqueId, initTimeout);
        CudaNcclDriver driver;
        try {
            driver = CudaNcclDriver.init(device, size, rank, id, "ddp4j:" + name, initTimeout);
        } catch (NcclTimeoutException e) {
            throw new DistributedTimeoutException("rank " + rank + " of nccl group '" + name + "' (cuda:" + device
                    + "): the communicator was not ready within " + Durations.format(initTimeout) + "; some rank did not join. " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new DistributedException("rank " + rank + " of nccl group '" + name + "' (cuda:" + device
                    + ") could not create its NCCL communicator: " + e.getMessage(), e);
        }
        try {
            return new NcclProcessGroup(name, globalRanks, driver, collectiveTimeout, System::nanoTime, DEFAULT_WATCHDOG_INTERVAL, DEFAULT_SLOTS);
        } catch (RuntimeException e) {
            driver.abort();
            throw e;
        }
    }

    /** Empty when NCCL and a CUDA device are there; otherwise what is missing. */
    public static Optional<String> whyUnusable() {
        if (!Nccl.isLoaded()) {
            return Optional.of("NCCL (libnccl.so.2) did not load: " + Nccl.library().failure().map(Throwable::getMessage).orElse("unknown reason"));
        }
        return CudaAvailability.whyUnavailable().map(why -> "no usable CUDA GPU: " + why);
    }

    /** {@value #DEVICE_ENV}, else LOCAL_RANK, else 0; it must name one of the {@code deviceCount} devices. */
    static int chooseDevice(Map<String, String> env, int deviceCount) {
        String explicit = env.get(DEVICE_ENV), local = env.get("LOCAL_RANK");
        String source = explicit != null ? DEVICE_ENV : local != null ? "LOCAL_RANK" : null;
        String value = explicit != null ? explicit : local;
        int device;
        try {
            device = value == null ? 0 : Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + "=" + value + " is not a CUDA device index");
        }
        if (device < 0 || device >= deviceCount) {
            throw new IllegalArgumentException((source == null ? "device 0" : source + "=" + value) + " does not name one of the "
                    + deviceCount + " CUDA devices of this machine; NCCL needs one GPU per rank (start at most "
                    + deviceCount + " ranks per node, or set " + DEVICE_ENV + ")");
        }
        return device;
    }

    // ---- ProcessGroup ---------------------------------------------------------------------------

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public List<Integer> globalRanks() { return globalRanks; }
    @Override public String backend() { return "nccl"; }

    public String name() {
        return name;
    }

    /** The collective timeout the watchdog enforces. */
    public Duration timeout() {
        return timeout;
    }

    /** nccl takes device buffers only: host ones are staged through scratch on this rank's GPU. */
    @Override
    public boolean takesDeviceBuffers() {
        return true;
    }

    @Override
    public Optional<io.ddp4j.ddp.pg.StagingMemory> stagingForHostBuffers() {
        return Optional.of(new CudaStagingMemory(device()));
    }

    /** The CUDA device of this rank's communicator. */
    public int device() {
        return driver.device();
    }

    /** The communication stream the ops run on (for profiling; do not destroy it). */
    public long commStream() {
        return commStream;
    }

    /** Why the group was aborted, once it was. */
    public Optional<NcclAbortedException> failure() {
        return Optional.ofNullable(failure);
    }

    private UnsupportedOperationException hostBuffers(String op) {
        return new UnsupportedOperationException("nccl works on CUDA buffers: pass a DeviceBuffer (device memory on cuda:"
                + driver.device() + ") to " + op + ", or use the tcp backend for host memory");
    }

    @Override public Work allReduce(HostBuffer buffer, ReduceOp op) { throw hostBuffers("allReduce"); }
    @Override public Work broadcast(HostBuffer buffer, int root) { throw hostBuffers("broadcast"); }
    @Override public Work reduce(HostBuffer buffer, int root, ReduceOp op) { throw hostBuffers("reduce"); }
    @Override public Work allGather(HostBuffer output, HostBuffer input) { throw hostBuffers("allGather"); }
    @Override public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) { throw hostBuffers("reduceScatter"); }
    @Override public Work send(HostBuffer buffer, int peer, int tag) { throw hostBuffers("send"); }
    @Override public Work recv(HostBuffer buffer, int peer, int tag) { throw hostBuffers("recv"); }

    @Override public Work allReduce(DeviceBuffer buffer, ReduceOp op) { return allReduce(buffer, op, CurrentStream.get()); }
    @Override public Work broadcast(DeviceBuffer buffer, int root) { return broadcast(buffer, root, CurrentStream.get()); }
    @Override public Work reduce(DeviceBuffer buffer, int root, ReduceOp op) { return reduce(buffer, root, op, CurrentStream.get()); }
    @Override public Work allGather(DeviceBuffer output, DeviceBuffer input) { return allGather(output, input, CurrentStream.get()); }
    @Override public Work reduceScatter(DeviceBuffer output, DeviceBuffer input, ReduceOp op) { return reduceScatter(output, input, op, CurrentStream.get()); }
    @Override public Work send(DeviceBuffer buffer, int peer, int tag) { return send(buffer, peer, tag, CurrentStream.get()); }
    @Override public Work recv(DeviceBuffer buffer, int peer, int tag) { return recv(buffer, peer, tag, CurrentStream.get()); }
    @Override public Work barrier() { return barrier(CurrentStream.get()); }

    // ---- the ops, after the work already enqueued on {@code stream} ---------------------------

    /** In place: every rank ends with the reduction of every rank's {@code buffer}. */
    public Work allReduce(DeviceBuffer buffer, ReduceOp op, long stream) {
        checkDevice("allReduce", buffer);
        int type = NcclTypes.dataType(buffer.dtype()), redOp = NcclTypes.redOp(op, buffer.dtype());
        return collective(Fingerprint.Kind.ALL_REDUCE, buffer.dtype(), op, -1, buffer.count(), stream,
                s -> driver.allReduce(buffer.pointer(), buffer.pointer(), buffer.count(), type, redOp, s));
    }

    public Work broadcast(DeviceBuffer buffer, int root, long stream) {
        checkDevice("broadcast", buffer);
        checkRank("broadcast", "root", root);
        int type = NcclTypes.dataType(buffer.dtype());
        return collective(Fingerprint.Kind.BROADCAST, buffer.dtype(), null, root, buffer.count(), stream,
                s -> driver.broadcast(buffer.pointer(), buffer.pointer(), buffer.count(), type, root, s));
    }

    /** In place on the root; other ranks' buffers are only read. */
    public Work reduce(DeviceBuffer buffer, int root, ReduceOp op, long stream) {
        checkDevice("reduce", buffer);
        checkRank("reduce", "root", root);
        int type = NcclTypes.dataType(buffer.dtype()), redOp = NcclTypes.redOp(op, buffer.dtype());
        return collective(Fingerprint.Kind.REDUCE, buffer.dtype(), op, root, buffer.count(), stream,
                s -> driver.reduce(buffer.pointer(), buffer.pointer(), buffer.count(), type, redOp, root, s));
    }

    /** {@code output} holds size() * input.count() elements; rank i's input lands at i * input.count(). */
    public Work allGather(DeviceBuffer output, DeviceBuffer input, long stream) {
        checkDevice("allGather", output);
        checkDevice("allGather", input);
        sameDtype("allGather", output, input);
        if (output.count() != input.count() * size) {
            throw new IllegalArgumentException("allGather: output holds " + output.count() + " elements but needs "
                    + size + " x " + input.count() + " = " + input.count() * size);
        }
        int type = NcclTypes.dataType(input.dtype());
        return collective(Fingerprint.Kind.ALL_GATHER, input.dtype(), null, -1, input.count(), stream,
                s -> driver.allGather(input.pointer(), output.pointer(), input.count(), type, s));
    }

    /** {@code input} holds size() * output.count() elements; rank i gets the reduction of every rank's slice i. */
    public Work reduceScatter(DeviceBuffer output, DeviceBuffer input, ReduceOp op, long stream) {
        checkDevice("reduceScatter", output);
        checkDevice("reduceScatter", input);
        sameDtype("reduceScatter", output, input);
        if (input.count() != output.count() * size) {
            throw new IllegalArgumentException("reduceScatter: input holds " + input.count() + " elements but needs "
                    + size + " x " + output.count() + " = " + output.count() * size);
        }
        int type = NcclTypes.dataType(input.dtype()), redOp = NcclTypes.redOp(op, input.dtype());
        return collective(Fingerprint.Kind.REDUCE_SCATTER, input.dtype(), op, -1, output.count(), stream,
                s -> driver.reduceScatter(input.pointer(), output.pointer(), output.count(), type, redOp, s));
    }

    /** Completes once every rank has issued it and their earlier ops on the communication stream are done. */
    public Work barrier(long stream) {
        return collective(Fingerprint.Kind.BARRIER, null, null, -1, 0, stream, null);
    }

    /** To {@code peer}, matched in order with that peer's recv from this rank; {@code tag} is not transmitted. */
    public Work send(DeviceBuffer buffer, int peer, int tag, long stream) {
        checkDevice("send", buffer);
        checkRank("send", "peer", peer);
        int type = NcclTypes.dataType(buffer.dtype());
        return pointToPoint("send", "to " + peer + ", tag " + tag + ", " + buffer.dtype() + ", " + buffer.count() + " elements", stream,
                s -> driver.send(buffer.pointer(), buffer.count(), type, peer, s));
    }

    public Work recv(DeviceBuffer buffer, int peer, int tag, long stream) {
        checkDevice("recv", buffer);
        checkRank("recv", "peer", peer);
        int type = NcclTypes.dataType(buffer.dtype());
        return pointToPoint("recv", "from " + peer + ", tag " + tag + ", " + buffer.dtype() + ", " + buffer.count() + " elements", stream,
                s -> driver.recv(buffer.pointer(), buffer.count(), type, peer, s));
    }

    private void checkDevice(String op, DeviceBuffer b) {
        if (b == null) throw new IllegalArgumentException(op + ": the buffer is null");
        if (b.device() != driver.device()) {
            throw new IllegalArgumentException(op + ": " + b + " is on cuda:" + b.device() + " but rank " + rank + " of nccl group '"
                    + name + "' runs on cuda:" + driver.device());
        }
    }

    private void checkRank(String op, String what, int r) {
        if (r < 0 || r >= size) {
            throw new IllegalArgumentException(op + ": " + what + " " + r + " is outside 0.." + (size - 1) + " (ranks of nccl group '" + name + "')");
        }
    }

    private static void sameDtype(String op, DeviceBuffer output, DeviceBuffer input) {
        if (output.dtype() != input.dtype()) {
            throw new IllegalArgumentException(op + ": output is " + output.dtype() + " but input is " + input.dtype());
        }
    }

    // ---- issuing --------------------------------------------------------------------------------

    /** One NCCL call, enqueued on the communication stream given; returns ncclSuccess or ncclInProgress. */
    @FunctionalInterface
    private interface Enqueue {
        int on(long commStream);
    }

    private String where() {
        return "rank " + rank + " of " + size + " (nccl group '" + name + "', cuda:" + driver.device() + ")";
    }

    private Work collective(Fingerprint.Kind kind, DType dtype, ReduceOp op, int root, long count, long stream, Enqueue body) {
        issueLock.lock();
        try {
            ensureUsable(kind.opName);
            driver.makeCurrent();
            long seq = collectiveSequence++;
            Fingerprint fp = new Fingerprint(seq, kind, dtype, op, root, count);
            Slot slot = acquireSlot(seq);
            NcclWork w = new NcclWork(this, kind.opName, seq, fp, slot, "nccl " + fp + " on " + where(), clock.getAsLong(), takeEvent());
            slot.owner = w;
            pending.add(w);
            try {
                waitForCaller(stream);
                fp.write(MemorySegment.ofAddress(slot.hostSend).reinterpret(Fingerprint.BYTES));
                driver.copyHostToDeviceAsync(slot.deviceSend, slot.hostSend, Fingerprint.BYTES, commStream);
                nccl(w, () -> driver.allGather(slot.deviceSend, slot.deviceRecv, Fingerprint.BYTES, Nccl.ncclUint8, commStream));
                driver.copyDeviceToHostAsync(slot.hostRecv, slot.deviceRecv, (long) Fingerprint.BYTES * size, commStream);
                driver.recordEvent(slot.event, commStream);
                if (body != null) nccl(w, () -> body.on(commStream));
                driver.recordEvent(w.endEvent, commStream);
            } catch (RuntimeException e) {
                throw enqueueFailed(w, e);
            }
            w.enqueued = true;
            return w;
        } finally {
            issueLock.unlock();
        }
    }

    private Work pointToPoint(String op, String detail, long stream, Enqueue body) {
        issueLock.lock();
        try {
            ensureUsable(op);
            driver.makeCurrent();
            long seq = p2pSequence++;
            NcclWork w = new NcclWork(this, op, seq, null, null, "nccl " + op + " #" + seq + " (" + detail + ") on " + where(),
                    clock.getAsLong(), takeEvent());
            pending.add(w);
            try {
                waitForCaller(stream);
                nccl(w, () -> body.on(commStream));
                driver.recordEvent(w.endEvent, commStream);
            } catch (RuntimeException e) {
                throw enqueueFailed(w, e);
            }
            w.enqueued = true;
            return w;
        } finally {
            issueLock.unlock();
        }
    }

    /** The communication stream waits for what the caller enqueued on {@code stream} so far. */
    private void waitForCaller(long stream) {
        driver.recordEvent(startEvent, stream);
        driver.streamWaitEvent(commStream, startEvent);
    }

    private void ensureUsable(String op) {
        if (closed) throw new IllegalStateException("nccl process group '" + name + "' on rank " + rank + " is closed; cannot start " + op);
        NcclAbortedException f = failure;
        if (f != null) {
            throw new IllegalStateException("nccl process group '" + name + "' on rank " + rank + " was aborted and refuses new work ("
                    + op + "): " + f.getMessage() + " Create a new group (a new Distributed) to go on.", f);
        }
    }

    /**
     * The slot for collective {@code seq}; when its previous op's fingerprints have not been
     * compared yet (more than {@link #slots} collectives in flight), waits for that gather,
     * bounded by the collective timeout.
     */
    private Slot acquireSlot(long seq) {
        Slot slot = slots[(int) (seq % slots.length)];
        NcclWork previous = slot.owner;
        if (previous != null) {
            long pause = FIRST_PAUSE_NANOS;
            while (!previous.fingerprintChecked) {
                checkFingerprint(previous);
                if (previous.fingerprintChecked) break;
                NcclAbortedException f = failure;
                if (f != null) ensureUsable("collective #" + seq);
                if (clock.getAsLong() - previous.issuedAtNanos > timeoutNanos) {
                    abortAll(previous, timeoutFailure(previous));
                    ensureUsable("collective #" + seq);
                }
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
            }
            slot.owner = null;
            ensureUsable("collective #" + seq); // the check just made may have found a mismatch and failed the group
        }
        return slot;
    }

    /**
     * Runs one NCCL call under {@link #ncclLock}. A non-blocking communicator may answer
     * ncclInProgress while NCCL still sets the call up; NCCL requires polling
     * ncclCommGetAsyncError until it leaves that state before the next call on the communicator
     * (and only then is the kernel on the stream, so only then may the next event be recorded).
     * That wait is bounded by the collective timeout.
     */
    private void nccl(NcclWork w, IntSupplier call) {
        int status = withNcclLock(call);
        if (status != Nccl.ncclInProgress) return;
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            int state = withNcclLock(driver::asyncError);
            if (state == Nccl.ncclSuccess) return;
            if (state != Nccl.ncclInProgress) {
                throw new DistributedException("NCCL reported " + driver.describe(state) + " while enqueuing " + w.description());
            }
            if (failure != null) throw new IllegalStateException("aborted while enqueuing " + w.description(), failure);
            if (clock.getAsLong() - w.issuedAtNanos > timeoutNanos) {
                throw new DistributedTimeoutException("NCCL was still setting up " + w.description() + " after "
                        + Durations.format(timeout) + " (ncclCommGetAsyncError said ncclInProgress)");
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }

    private int withNcclLock(IntSupplier call) {
        ncclLock.lock();
        try {
            if (communicatorClaimed) throw new IllegalStateException("the communicator of " + where() + " is being aborted or destroyed");
            return call.getAsInt();
        } finally {
            ncclLock.unlock();
        }
    }

    private RuntimeException enqueueFailed(NcclWork w, RuntimeException e) {
        NcclAbortedException f = failure;
        if (f != null) { // the watchdog aborted the communicator under this enqueue
            w.fail(f);
            return new IllegalStateException(w.description() + " could not be enqueued: the group was aborted meanwhile: " + f.getMessage(), f);
        }
        NcclAbortedException failed = new NcclAbortedException(w.description() + " could not be enqueued: " + e.getMessage()
                + ". The communicator was aborted (the other ranks may already be inside this op); the group refuses new work.",
                w.op, w.sequence, rank, NcclAbortedException.Reason.ENQUEUE_FAILED, otherRanks(), e);
        abortAll(w, failed);
        return failed;
    }

    // ---- completion, fingerprints, the watchdog -------------------------------------------------

    /** Called by {@link NcclWork#poll()}: compares its fingerprints once they landed, and completes it once its event is done. */
    void refresh(NcclWork w) {
        if (!w.enqueued || !w.isPending()) return;
        holdingResources(() -> refreshHoldingResources(w));
        Reference.reachabilityFence(w); // its end event goes back to the pool once w is unreachable
    }

    /** Runs {@code body} unless close() has freed the events and buffers, and keeps it from freeing them meanwhile. */
    private void holdingResources(Runnable body) {
        resources.readLock().lock();
        try {
            if (!resourcesFreed) body.run();
        } finally {
            resources.readLock().unlock();
        }
    }

    private void refreshHoldingResources(NcclWork w) {
        NcclAbortedException f = failure;
        if (f != null) {
            // issued while the group was being aborted: it missed abortAll's sweep, and its end event,
            // which the abort may let through, must not pass for success
            w.fail(abortedBecauseOf(w, f, f));
            pending.remove(w);
            return;
        }
        try {
            // the thread asking may be any (DDP's completion thread, a user's): the event belongs to this device
            driver.makeCurrent();
            checkFingerprint(w);
            if (!w.isPending()) return;
            if (driver.eventDone(w.endEvent)) {
                checkFingerprint(w); // its gather came before it on the stream, so it has landed
                if (w.complete()) pending.remove(w);
            }
        } catch (RuntimeException e) {
            // a CUDA error here (an illegal address, a lost device) is sticky: nothing on this device will work again
            abortAll(w, new NcclAbortedException(w.description() + " failed on the device: " + e.getMessage(), w.op, w.sequence, rank,
                    NcclAbortedException.Reason.ENQUEUE_FAILED, List.of(), e));
        }
    }

    /** Compares {@code w}'s gathered fingerprints once its gather has landed; a difference aborts the group. */
    void checkFingerprint(NcclWork w) {
        if (w.fingerprintChecked || !w.enqueued) return;
        if (!driver.eventDone(w.slot.event)) return;
        NcclAbortedException groupFailure = null;
        synchronized (w) {
            // one thread compares; another that polls meanwhile waits here the microseconds it takes,
            // so no thread completes the op, or hands its slot to the next op, before it is decided;
            // a mismatch fails the group (not only the op) before anyone can see the op end
            if (w.fingerprintChecked) return;
            CollectiveMismatchException mismatch = fingerprintMismatch(w);
            if (mismatch != null) groupFailure = failAll(w, mismatch);
            w.fingerprintChecked = true;
        }
        if (groupFailure != null) startAbort(groupFailure);
    }

    /** The first rank whose gathered fingerprint differs from this rank's, as the failure to report; null when all agree. */
    private CollectiveMismatchException fingerprintMismatch(NcclWork w) {
        MemorySegment all = MemorySegment.ofAddress(w.slot.hostRecv).reinterpret((long) Fingerprint.BYTES * size);
        MemorySegment mine = w.fingerprint.bytes();
        for (int r = 0; r < size; r++) {
            MemorySegment theirs = all.asSlice((long) r * Fingerprint.BYTES, Fingerprint.BYTES);
            if (theirs.mismatch(mine) >= 0) {
                String message = "rank " + rank + " of nccl group '" + name + "' called " + w.fingerprint + " but rank " + r
                        + " called " + Fingerprint.describe(theirs) + " at the same point: every rank must issue the same collectives"
                        + " in the same order with the same sizes, dtypes and roots. The communicator was aborted.";
                return new CollectiveMismatchException(message, r);
            }
        }
        return null;
    }

    /**
     * One round of the watchdog: NCCL's asynchronous error, then every pending op (completing
     * those whose event is done) against the collective timeout. Package-private so tests drive it
     * with a fake clock.
     */
    void watchdogPoll() {
        if (failure != null || closed) return;
        holdingResources(this::watchdogPollHoldingResources);
    }

    private void watchdogPollHoldingResources() {
        int state = withNcclLock(driver::asyncError);
        if (state != Nccl.ncclSuccess && state != Nccl.ncclInProgress) {
            NcclWork oldest = pending.peekFirst();
            String what = oldest == null ? "no op was pending" : oldest.description() + " was pending";
            abortAll(oldest, new NcclAbortedException("NCCL reported an asynchronous error on " + where() + ": " + driver.describe(state)
                    + " (" + what + "); a peer may have died or the network failed. The communicator was aborted.",
                    oldest == null ? "none" : oldest.op, oldest == null ? -1 : oldest.sequence, rank,
                    NcclAbortedException.Reason.NCCL_ERROR, otherRanks(), null));
            return;
        }
        long now = clock.getAsLong();
        for (NcclWork w : pending) {
            if (w.poll()) continue;
            if (failure != null) return;
            if (w.enqueued && now - w.issuedAtNanos > timeoutNanos) {
                abortAll(w, timeoutFailure(w));
                return;
            }
        }
    }

    private NcclAbortedException timeoutFailure(NcclWork w) {
        return new NcclAbortedException(w.description() + " did not complete within the collective timeout of " + Durations.format(timeout)
                + ": the watchdog aborted the communicator and failed every pending op. Some rank did not issue this op (it is stuck,"
                + " died, or is waiting elsewhere), or the op waits for GPU work on the caller's stream that does not finish;"
                + " if the op is just slow, allow a longer timeout.",
                w.op, w.sequence, rank, NcclAbortedException.Reason.TIMEOUT, otherRanks(), null);
    }

    /**
     * Fails every pending op (the culprit with {@code reason}, the others as aborted because of
     * it), marks the group aborted, then aborts the communicator. The ops fail before the abort,
     * so a completion event that the abort itself lets through is never taken for success.
     */
    void abortAll(NcclWork culprit, RuntimeException reason) {
        NcclAbortedException groupFailure = failAll(culprit, reason);
        if (groupFailure != null) startAbort(groupFailure);
    }

    /** Sets the group's failure and fails every pending op with it; null when the group had failed already. */
    private NcclAbortedException failAll(NcclWork culprit, RuntimeException reason) {
        NcclAbortedException groupFailure;
        synchronized (this) {
            if (failure != null) return null;
            groupFailure = reason instanceof NcclAbortedException a ? a
                    : new NcclAbortedException(reason.getMessage(), culprit == null ? "none" : culprit.op, culprit == null ? -1 : culprit.sequence,
                    rank, NcclAbortedException.Reason.MISMATCH, reason instanceof CollectiveMismatchException m ? m.suspectRanks() : otherRanks(), reason);
            // the culprit takes its own reason before the failure is published: a thread that finds the
            // group failed fails any op still pending as merely aborted, and the first failure sticks
            if (culprit != null) culprit.fail(reason);
            failure = groupFailure;
        }
        for (NcclWork w : pending) {
            if (w == culprit) continue;
            w.fail(abortedBecauseOf(w, groupFailure, reason));
        }
        pending.clear();
        return groupFailure;
    }

    /**
     * ncclCommAbort frees the communicator's memory, and those frees wait until the device is idle:
     * with a stream that never finishes (the very case a timeout reports) it would never return. So
     * it runs on a thread of its own, and the caller (a user thread awaiting an op, or the
     * watchdog) waits for it only a moment: the ops have failed already.
     */
    private void startAbort(NcclAbortedException groupFailure) {
        Thread t = Thread.ofPlatform().daemon().name("ddp4j-nccl-abort-rank" + rank).start(() -> abortCommunicator(groupFailure));
        try {
            t.join(ABORT_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What an op that did nothing wrong fails with when the group is aborted because of {@code groupFailure}. */
    private NcclAbortedException abortedBecauseOf(NcclWork w, NcclAbortedException groupFailure, Throwable cause) {
        return new NcclAbortedException(w.description() + " was aborted: " + groupFailure.getMessage(), w.op, w.sequence, rank,
                groupFailure.reason(), groupFailure.suspectRanks(), cause);
    }

    /** Claims and aborts the communicator unless another thread has claimed it; a failure is added to {@code why}. */
    private void abortCommunicator(RuntimeException why) {
        boolean owner = false;
        try {
            owner = claimCommunicator();
            if (owner) driver.abort(); // not under ncclLock: NCCL calls now fail at the claim instead of waiting for the abort
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        } finally {
            if (owner) communicatorReleased.countDown();
        }
    }

    /**
     * Makes the calling thread the one that frees the communicator: true for the first caller,
     * false when an abort or close() has it already. Waits (bounded) for an NCCL call in flight,
     * which a non-blocking communicator keeps short; one that does not return leaves the
     * communicator allocated, rather than freed under that call.
     */
    private boolean claimCommunicator() {
        boolean locked;
        try {
            locked = ncclLock.tryLock(Math.max(1, timeoutNanos / 4), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            locked = false;
        }
        if (!locked) {
            throw new DistributedException("an NCCL call on " + where() + " did not return within " + Durations.format(timeout.dividedBy(4))
                    + "; the communicator is left allocated rather than freed under that call");
        }
        try {
            if (communicatorClaimed) return false;
            communicatorClaimed = true;
            return true;
        } finally {
            ncclLock.unlock();
        }
    }

    private void watch(long intervalNanos) {
        try {
            driver.makeCurrent(); // its event queries then run in the group's device context
        } catch (RuntimeException ignored) {
            // the queries work without it; the first poll reports a real device failure
        }
        while (!closed && failure == null) {
            try {
                watchdogPoll();
            } catch (RuntimeException e) {
                if (closed) break; // close() has the communicator: its NCCL calls fail now
                abortAll(pending.peekFirst(), new NcclAbortedException("the watchdog of " + where() + " failed: " + e,
                        "watchdog", -1, rank, NcclAbortedException.Reason.ENQUEUE_FAILED, List.of(), e));
            }
            LockSupport.parkNanos(intervalNanos);
        }
    }

    private List<Integer> otherRanks() {
        List<Integer> others = new ArrayList<>(size - 1);
        for (int r = 0; r < size; r++) if (r != rank) others.add(r);
        return others;
    }

    /** Number of ops issued and not yet seen to finish (for tests and diagnostics). */
    int pendingCount() {
        return pending.size();
    }

    // ---- events ---------------------------------------------------------------------------------

    void streamWaitEvent(long stream, long event) {
        driver.streamWaitEvent(stream, event);
    }

    private long takeEvent() {
        synchronized (eventPool) {
            Long e = eventPool.pollFirst();
            if (e != null) return e;
        }
        return driver.createEvent();
    }

    /** A work's completion event, once the work is unreachable: back to the pool, or destroyed after close. */
    void releaseEvent(long event) {
        synchronized (eventPool) {
            if (!eventPoolClosed) {
                eventPool.addLast(event);
                return;
            }
        }
        try {
            driver.destroyEvent(event);
        } catch (RuntimeException ignored) {
            // the CUDA context is gone (JVM exit): nothing left to free
        }
    }

    // ---- closing --------------------------------------------------------------------------------

    /**
     * Waits (up to the timeout) for the issued ops, frees the communicator (finalize and destroy;
     * abort when it is broken or the ops do not finish), then the stream, events and buffers.
     * Idempotent. If a pending op waits for GPU work that never finishes on a caller's stream,
     * freeing the buffers waits for that work (cudaFree synchronises the device).
     */
    @Override
    public void close() {
        issueLock.lock();
        try {
            if (closed) return;
            closed = true;
        } finally {
            issueLock.unlock();
        }
        if (watchdog != null) {
            watchdog.interrupt();
            LockSupport.unpark(watchdog);
            try {
                watchdog.join(Math.max(1000, timeout.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RuntimeException first = null;
        try {
            driver.makeCurrent();
            if (failure == null) drainPending();
            if (failure == null && claimCommunicator()) {
                try {
                    driver.destroy(timeout);
                } catch (RuntimeException e) {
                    first = e;
                    try {
                        driver.abort();
                    } catch (RuntimeException again) {
                        e.addSuppressed(again);
                    }
                } finally {
                    communicatorReleased.countDown();
                }
            }
        } catch (RuntimeException e) {
            first = e;
            abortCommunicator(e); // unless close() or an abort has claimed it already
        }
        // otherwise an abort owns the communicator (perhaps one that the drain above started): the
        // stream, events and buffers must outlive it, so they are freed only once it is done
        if (!awaitCommunicatorReleased()) {
            DistributedException leak = new DistributedException("nccl process group '" + name + "' on " + where()
                    + ": the communicator was not released within " + Durations.format(closeWait())
                    + " (ncclCommAbort still running, or an NCCL call that did not return); its stream, events and buffers are left"
                    + " allocated rather than freed under it");
            if (first != null) leak.addSuppressed(first);
            throw leak;
        }
        resources.writeLock().lock(); // no thread is querying the events or reading the buffers below
        try {
            resourcesFreed = true;
            first = freeResources(first);
        } finally {
            resources.writeLock().unlock();
        }
        if (first != null) throw first;
    }

    private Duration closeWait() {
        return timeout.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : timeout;
    }

    private boolean awaitCommunicatorReleased() {
        try {
            return communicatorReleased.await(closeWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return communicatorReleased.getCount() == 0;
        }
    }

    private RuntimeException freeResources(RuntimeException first) {
        first = freeing(first, () -> driver.destroyStream(commStream));
        first = freeing(first, () -> driver.destroyEvent(startEvent));
        for (Slot s : slots) first = freeing(first, () -> driver.destroyEvent(s.event));
        List<Long> events;
        synchronized (eventPool) {
            eventPoolClosed = true;
            events = List.copyOf(eventPool);
            eventPool.clear();
        }
        for (long e : events) first = freeing(first, () -> driver.destroyEvent(e));
        first = freeing(first, () -> driver.deviceFree(deviceBlock));
        first = freeing(first, () -> driver.hostFree(hostBlock));
        return first;
    }

    /** Waits, bounded by the timeout, for every pending op; aborts the group if they do not finish. */
    private void drainPending() {
        long start = System.nanoTime();
        long pause = FIRST_PAUSE_NANOS;
        for (NcclWork w; (w = pending.peekFirst()) != null; ) {
            if (w.poll()) {
                pending.remove(w);
                continue;
            }
            if (failure != null) return;
            if (System.nanoTime() - start > timeoutNanos) {
                abortAll(w, new NcclAbortedException(w.description() + " was still pending when the group closed and did not finish within "
                        + Durations.format(timeout) + "; the communicator was aborted.", w.op, w.sequence, rank,
                        NcclAbortedException.Reason.TIMEOUT, otherRanks(), null));
                return;
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }

    private static RuntimeException freeing(RuntimeException first, Runnable free) {
        try {
            free.run();
        } catch (RuntimeException e) {
            if (first == null) return e;
            first.addSuppressed(e);
        }
        return first;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return "NcclProcessGroup[" + where() + (failure != null ? ", aborted]" : closed ? ", closed]" : "]");
    }
}
