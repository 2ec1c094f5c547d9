package io.ddp4j.ddp.pg.local;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.CollectiveShapes;
import io.ddp4j.ddp.pg.CompletableWork;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.PeerFailureException;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.DeviceStorage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * An in-process group: {@code size} ranks that are threads of one JVM and exchange data through
 * shared memory, no sockets. What {@link io.ddp4j.ddp.parallel.DataParallel} runs its replicas'
 * reducers over, and a fast group for tests. Same contract as the tcp backend: every op returns a
 * {@link Work} at once and runs on the rank's own worker thread in issue order; ranks that issue
 * different collectives at the same sequence number fail with both descriptions; a rank that
 * never arrives makes the others fail after the timeout, naming it; once an op failed the group
 * is broken and later ops fail fast.
 *
 * <p>How a collective runs: every rank's worker puts its buffers into the op's shared slot and
 * waits until all have arrived; the last to arrive computes the result once, combining ranks in
 * rank order (so every rank gets bit-identical values), into a private copy; then each rank copies
 * its part of the result into its own buffer and leaves. Send is buffered (it copies and returns);
 * receive takes the next message from that peer.
 *
 * <p>Device memory ({@link DeviceBuffer}): ranks that share one GPU (DataParallel replicas on one
 * device, where NCCL refuses two ranks) run the collectives through device copies and elementwise
 * kernels ({@link TensorCollectives}) that the last rank to arrive enqueues on the device's compute
 * stream, after the work every rank enqueued there before it. A rank's work completes once the GPU
 * has run them; {@link Work#awaitOnStream} waits on the host only for the ranks to arrive. Ranks on
 * different GPUs are refused (they reduce over nccl); send and receive take host memory only.
 */
public final class LocalProcessGroup implements ProcessGroup {
    private final Hub hub;
    private final int rank;
    private final ExecutorService worker;
    /** Waits for the GPU to run this rank's device collectives (made at the first one). */
    private ExecutorService deviceCompleter;
    private long issued;
    private final long[] sends;
    private final long[] recvs;
    private volatile boolean closed;

    private LocalProcessGroup(Hub hub, int rank) {
        this.hub = hub;
        this.rank = rank;
        this.sends = new long[hub.size];
        this.recvs = new long[hub.size];
        this.worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("ddp4j-local-" + hub.name + "-rank" + rank).unstarted(r));
    }

    /** The {@code size} members of a new group, index = rank. */
    public static List<LocalProcessGroup> create(int size, Duration timeout) {
        return create(size, timeout, "local");
    }

    public static List<LocalProcessGroup> create(int size, Duration timeout, String name) {
        if (size < 1) throw new IllegalArgumentException("group size must be >= 1, got " + size);
        Durations.requirePositive(timeout, "process group timeout");
        Hub hub = new Hub(size, timeout, name);
        return IntStream.range(0, size).mapToObj(r -> new LocalProcessGroup(hub, r)).toList();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return hub.size;
    }

    @Override
    public List<Integer> globalRanks() {
        return IntStream.range(0, hub.size).boxed().toList();
    }

    @Override
    public String backend() {
        return "local";
    }

    public Duration timeout() {
        return hub.timeout;
    }

    // ---------------------------------------------------------------- ops

    private enum Kind {
        ALL_REDUCE("allReduce"), BROADCAST("broadcast"), REDUCE("reduce"), ALL_GATHER("allGather"),
        REDUCE_SCATTER("reduceScatter"), BARRIER("barrier");
        final String display;

        Kind(String display) {
            this.display = display;
        }
    }

    /** What every rank must agree on. */
    private record Desc(Kind kind, long seq, ReduceOp op, DType dtype, long count, int root, boolean onDevice) {
        String describe() {
            StringBuilder sb = new StringBuilder(kind.display).append(" #").append(seq).append(" (");
            List<String> parts = new ArrayList<>();
            if (onDevice) parts.add("device memory");
            if (op != null) parts.add(op.name().toLowerCase(java.util.Locale.ROOT));
            if (dtype != null) parts.add(dtype.toString());
            if (kind != Kind.BARRIER) parts.add(count + " elements");
            if (kind == Kind.BROADCAST || kind == Kind.REDUCE) parts.add("root " + root);
            return sb.append(String.join(", ", parts)).append(')').toString();
        }

        boolean sameOp(Desc o) {
            return kind == o.kind && op == o.op && dtype == o.dtype && count == o.count && root == o.root && onDevice == o.onDevice;
        }
    }

    private synchronized Work collective(Kind kind, ReduceOp op, DType dtype, long count, int root, HostBuffer in, HostBuffer out) {
        Desc d = issue(kind, op, dtype, count, root, false);
        CompletableWork work = new CompletableWork(d.describe() + " on rank " + rank + " of group '" + hub.name + "'", hub.timeout);
        worker.execute(() -> {
            try {
                hub.run(rank, d, in, out);
                work.complete();
            } catch (Throwable t) {
                work.fail(t);
            }
        });
        return work;
    }

    private synchronized ExecutorService deviceCompleter() {
        if (deviceCompleter == null)
            deviceCompleter = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("ddp4j-local-" + hub.name + "-rank" + rank + "-gpu-wait").unstarted(r));
        return deviceCompleter;
    }

    private Desc issue(Kind kind, ReduceOp op, DType dtype, long count, int root, boolean onDevice) {
        if (closed) throw new IllegalStateException("local process group '" + hub.name + "' on rank " + rank + " is closed");
        Desc d = new Desc(kind, ++issued, op, dtype, count, root, onDevice);
        hub.issued[rank] = d.seq;
        return d;
    }

    private synchronized Work deviceCollective(Kind kind, ReduceOp op, DType dtype, long count, int root, DeviceBuffer in, DeviceBuffer out) {
        // refused here, before the ranks meet: a refusal there would break the group for good
        if (op != null && !dtype.isFloatingPoint())
            throw new IllegalArgumentException(kind.display + " (" + op.name().toLowerCase(java.util.Locale.ROOT) + ") of " + dtype
                    + " device memory: the local group reduces floating-point device memory only (its kernels compute in floating point,"
                    + " which is not exact for large integers); copy integers to a HostBuffer");
        long largest = kind == Kind.ALL_GATHER || kind == Kind.REDUCE_SCATTER ? count * hub.size : count;
        if (largest > Integer.MAX_VALUE)
            throw new IllegalArgumentException(kind.display + " of " + largest + " elements of device memory: the local group takes at most " + Integer.MAX_VALUE);
        Desc d = issue(kind, op, dtype, count, root, true);
        DeviceWork work = new DeviceWork(d.describe() + " on rank " + rank + " of group '" + hub.name + "'", hub.timeout);
        worker.execute(() -> {
            DeviceCompletion c;
            try {
                c = hub.runOnDevice(rank, d, in, out);
            } catch (Throwable t) {
                work.fail(t);
                return;
            }
            work.enqueued(c);
            // the GPU is waited for on another thread, so this rank meets the others at its next
            // collective (the next bucket) while the GPU still runs this one
            deviceCompleter().execute(() -> {
                try {
                    c.synchronize();
                    work.complete();
                } catch (Throwable t) {
                    work.fail(t);
                } finally {
                    c.release();
                }
            });
        });
        return work;
    }

    @Override
    public Work allReduce(DeviceBuffer buffer, ReduceOp op) {
        Reductions.check(buffer.dtype(), op);
        return deviceCollective(Kind.ALL_REDUCE, op, buffer.dtype(), buffer.count(), 0, buffer, buffer);
    }

    @Override
    public Work broadcast(DeviceBuffer buffer, int root) {
        checkRank(root);
        return deviceCollective(Kind.BROADCAST, null, buffer.dtype(), buffer.count(), root, buffer, buffer);
    }

    @Override
    public Work reduce(DeviceBuffer buffer, int root, ReduceOp op) {
        checkRank(root);
        Reductions.check(buffer.dtype(), op);
        return deviceCollective(Kind.REDUCE, op, buffer.dtype(), buffer.count(), root, buffer, buffer);
    }

    @Override
    public Work allGather(DeviceBuffer output, DeviceBuffer input) {
        CollectiveShapes.allGather(hub.size, output.dtype(), output.count(), input.dtype(), input.count());
        if (output.device() != input.device()) throw new IllegalArgumentException("allGather: input is on cuda:" + input.device() + " but output on cuda:" + output.device());
        return deviceCollective(Kind.ALL_GATHER, null, input.dtype(), input.count(), 0, input, output);
    }

    @Override
    public Work reduceScatter(DeviceBuffer output, DeviceBuffer input, ReduceOp op) {
        CollectiveShapes.reduceScatter(hub.size, output.dtype(), output.count(), input.dtype(), input.count(), op);
        if (output.device() != input.device()) throw new IllegalArgumentException("reduceScatter: input is on cuda:" + input.device() + " but output on cuda:" + output.device());
        return deviceCollective(Kind.REDUCE_SCATTER, op, input.dtype(), output.count(), 0, input, output);
    }

    @Override
    public Work send(DeviceBuffer buffer, int peer, int tag) {
        throw new UnsupportedOperationException("local group '" + hub.name + "': send of device memory is not supported; copy it to a HostBuffer");
    }

    @Override
    public Work recv(DeviceBuffer buffer, int peer, int tag) {
        throw new UnsupportedOperationException("local group '" + hub.name + "': recv into device memory is not supported; receive into a HostBuffer");
    }

    @Override
    public boolean takesDeviceBuffers() {
        return true;
    }

    @Override
    public Work allReduce(HostBuffer buffer, ReduceOp op) {
        Reductions.check(buffer.dtype(), op);
        return collective(Kind.ALL_REDUCE, op, buffer.dtype(), buffer.count(), 0, buffer, buffer);
    }

    @Override
    public Work broadcast(HostBuffer buffer, int root) {
        checkRank(root);
        return collective(Kind.BROADCAST, null, buffer.dtype(), buffer.count(), root, buffer, buffer);
    }

    @Override
    public Work reduce(HostBuffer buffer, int root, ReduceOp op) {
        checkRank(root);
        Reductions.check(buffer.dtype(), op);
        return collective(Kind.REDUCE, op, buffer.dtype(), buffer.count(), root, buffer, buffer);
    }

    @Override
    public Work allGather(HostBuffer output, HostBuffer input) {
        CollectiveShapes.allGather(hub.size, output.dtype(), output.count(), input.dtype(), input.count());
        return collective(Kind.ALL_GATHER, null, input.dtype(), input.count(), 0, input, output);
    }

    @Override
    public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) {
        CollectiveShapes.reduceScatter(hub.size, output.dtype(), output.count(), input.dtype(), input.count(), op);
        return collective(Kind.REDUCE_SCATTER, op, input.dtype(), output.count(), 0, input, output);
    }

    @Override
    public Work barrier() {
        return collective(Kind.BARRIER, null, null, 0, 0, null, null);
    }

    @Override
    public synchronized Work send(HostBuffer buffer, int peer, int tag) {
        checkRank(peer);
        if (peer == rank) throw new IllegalArgumentException("rank " + rank + " cannot send to itself");
        long seq = ++sends[peer];
        CompletableWork work = new CompletableWork("send #" + seq + " to rank " + peer + " (tag " + tag + ", " + buffer.dtype() + ", "
                + buffer.count() + " elements) on rank " + rank, hub.timeout);
        worker.execute(() -> {
            try {
                hub.checkBroken(rank, "send #" + seq);
                byte[] copy = buffer.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                hub.channel(rank, peer).add(new Message(tag, buffer.dtype(), buffer.count(), copy));
                work.complete();
            } catch (Throwable t) {
                work.fail(t);
            }
        });
        return work;
    }

    @Override
    public synchronized Work recv(HostBuffer buffer, int peer, int tag) {
        checkRank(peer);
        if (peer == rank) throw new IllegalArgumentException("rank " + rank + " cannot receive from itself");
        long seq = ++recvs[peer];
        String what = "recv #" + seq + " from rank " + peer + " (tag " + tag + ", " + buffer.dtype() + ", " + buffer.count() + " elements) on rank " + rank;
        CompletableWork work = new CompletableWork(what, hub.timeout);
        worker.execute(() -> {
            try {
                Message m = hub.receive(rank, peer, what);
                if (m.tag != tag || m.dtype != buffer.dtype() || m.count != buffer.count())
                    throw new CollectiveMismatchException(what + " got a message with tag " + m.tag + ", " + m.dtype + ", " + m.count
                            + " elements from rank " + peer, peer);
                MemorySegment.copy(MemorySegment.ofArray(m.bytes), 0, buffer.segment(), 0, m.bytes.length);
                work.complete();
            } catch (Throwable t) {
                work.fail(t);
            }
        });
        return work;
    }

    private void checkRank(int r) {
        if (r < 0 || r >= hub.size) throw new IllegalArgumentException("rank " + r + " is outside 0.." + (hub.size - 1));
    }

    /** Leaves the group; ranks waiting for this one fail at once, naming it. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        worker.shutdown();
        try {
            worker.awaitTermination(hub.timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ExecutorService gpuWait;
        synchronized (this) {
            gpuWait = deviceCompleter;
        }
        if (gpuWait != null) gpuWait.shutdown(); // its queued waits still run: events are released, works completed
        hub.leave(rank);
    }

    @Override
    public String toString() {
        return "LocalProcessGroup(" + hub.name + ", rank " + rank + " of " + hub.size + ")";
    }

    // ---------------------------------------------------------------- shared state

    private record Message(int tag, DType dtype, long count, byte[] bytes) {}

    /** One collective while it runs: the ranks' buffers, then the combined result. */
    private static final class Slot {
        final Desc first;
        final Object[] in;
        final Object[] out;
        final boolean[] here;
        int arrived;
        int departed;
        MemorySegment result;
        /** For device memory: when the GPU has run the collective (result is then a marker). */
        DeviceCompletion completion;
        RuntimeException failure;

        Slot(Desc first, int size) {
            this.first = first;
            this.in = new Object[size];
            this.out = new Object[size];
            this.here = new boolean[size];
        }
    }

    private static final class Hub {
        final int size;
        final Duration timeout;
        final String name;
        final Map<Long, Slot> slots = new HashMap<>();
        final long[] issued;
        final long[] started;
        final boolean[] left;
        final Map<Long, LinkedBlockingQueue<Message>> channels = new HashMap<>();
        volatile RuntimeException broken;

        Hub(int size, Duration timeout, String name) {
            this.size = size;
            this.timeout = timeout;
            this.name = name;
            this.issued = new long[size];
            this.started = new long[size];
            this.left = new boolean[size];
        }

        synchronized LinkedBlockingQueue<Message> channel(int from, int to) {
            return channels.computeIfAbsent((long) from * size + to, k -> new LinkedBlockingQueue<>());
        }

        void checkBroken(int rank, String what) {
            RuntimeException b = broken;
            if (b != null) {
                List<Integer> suspects = b instanceof PeerFailureException p ? p.suspectRanks() : List.of();
                throw new PeerFailureException("rank " + rank + ": " + what + " not started, group '" + name + "' failed earlier: " + b.getMessage(), suspects, b);
            }
        }

        Message receive(int rank, int peer, String what) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            LinkedBlockingQueue<Message> q = channel(peer, rank);
            while (true) {
                checkBroken(rank, what);
                Message m = q.poll(20, TimeUnit.MILLISECONDS);
                if (m != null) return m;
                synchronized (this) {
                    if (left[peer]) throw new PeerFailureException("rank " + rank + ": " + what + " needs rank " + peer + ", which left the group", List.of(peer));
                }
                if (System.nanoTime() - deadline > 0)
                    throw new PeerFailureException("rank " + rank + ": " + what + " timed out after " + Durations.format(timeout), List.of(peer));
            }
        }

        synchronized void leave(int rank) {
            left[rank] = true;
            notifyAll();
        }

        private synchronized void fail(RuntimeException e) {
            if (broken == null) broken = e;
            notifyAll();
        }

        void run(int rank, Desc d, HostBuffer in, HostBuffer out) throws InterruptedException {
            Slot slot = meet(rank, d, in, out);
            // every rank's input was read by combine(); each rank writes only its own output now
            if (d.kind != Kind.BARRIER) deliver(rank, d, slot, out);
            depart(d, slot);
        }

        /** The device-memory collective's completion, once the last rank to arrive enqueued it. */
        DeviceCompletion runOnDevice(int rank, Desc d, DeviceBuffer in, DeviceBuffer out) throws InterruptedException {
            Slot slot = meet(rank, d, in, out);
            depart(d, slot);
            return slot.completion;
        }

        private synchronized void depart(Desc d, Slot slot) {
            if (++slot.departed == size) slots.remove(d.seq);
        }

        /** Puts this rank's buffers in the op's slot and waits for the others; the last to arrive combines. */
        private Slot meet(int rank, Desc d, Object in, Object out) throws InterruptedException {
            checkBroken(rank, d.describe());
            Slot slot;
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (this) {
                started[rank] = d.seq;
                slot = slots.computeIfAbsent(d.seq, s -> new Slot(d, size));
                if (!slot.first.sameOp(d)) {
                    int other = -1;
                    for (int r = 0; r < size; r++) if (slot.here[r]) { other = r; break; }
                    CollectiveMismatchException e = new CollectiveMismatchException("collective mismatch in group '" + name + "': rank " + rank + " is in "
                            + d.describe() + " but rank " + Math.max(other, 0) + " is in " + slot.first.describe()
                            + "; every rank must issue the same collectives in the same order with the same sizes and dtypes", Math.max(other, 0));
                    slot.failure = e;
                    fail(e);
                    throw e;
                }
                slot.in[rank] = in;
                slot.out[rank] = out;
                slot.here[rank] = true;
                if (++slot.arrived == size) {
                    try {
                        if (d.onDevice) {
                            slot.completion = combineOnDevice(d, slot);
                            slot.result = MemorySegment.NULL;
                        } else {
                            slot.result = combine(d, slot.in);
                        }
                    } catch (RuntimeException e) {
                        slot.failure = e;
                        fail(e);
                    }
                    notifyAll();
                }
                while (slot.result == null && slot.failure == null) {
                    if (broken != null) throw new PeerFailureException("rank " + rank + ": " + d.describe() + " failed: " + broken.getMessage(),
                            broken instanceof PeerFailureException p ? p.suspectRanks() : List.of(), broken);
                    List<Integer> missing = new ArrayList<>();
                    for (int r = 0; r < size; r++) if (!slot.here[r]) missing.add(r);
                    List<Integer> gone = missing.stream().filter(r -> left[r]).toList();
                    if (!gone.isEmpty()) {
                        PeerFailureException e = new PeerFailureException("rank " + rank + ": " + d.describe() + " in group '" + name + "' needs rank"
                                + (gone.size() > 1 ? "s " + gone : " " + gone.getFirst()) + ", which left the group", gone);
                        fail(e);
                        throw e;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        List<String> where = new ArrayList<>();
                        for (int r : missing) where.add("rank " + r + " is at op #" + started[r] + " (issued " + issued[r] + ")");
                        PeerFailureException e = new PeerFailureException("rank " + rank + ": " + d.describe() + " in group '" + name + "' timed out after "
                                + Durations.format(timeout) + "; " + String.join("; ", where) + "; look at rank" + (missing.size() > 1 ? "s " + missing : " " + missing.getFirst())
                                + ": stalled, crashed, or it skipped this collective", missing);
                        fail(e);
                        throw e;
                    }
                    wait(Math.max(1, Math.min(left / 1_000_000, 50)));
                }
                if (slot.failure != null) throw slot.failure;
                return slot;
            }
        }

        /**
         * Enqueues the collective on the GPU the ranks share, as tensor ops over their buffers, and
         * records its completion. Ranks on different GPUs are refused: copying between them is
         * what NCCL is for.
         */
        private DeviceCompletion combineOnDevice(Desc d, Slot slot) {
            int device = ((DeviceBuffer) slot.in[0]).device();
            for (int r = 0; r < size; r++) {
                for (Object b : new Object[]{slot.in[r], slot.out[r]}) {
                    int other = ((DeviceBuffer) b).device();
                    if (other != device)
                        throw new IllegalArgumentException("local group '" + name + "': " + d.describe() + " has rank 0's memory on cuda:" + device + " but rank " + r
                                + "'s on cuda:" + other + "; the local group combines device memory of ranks that share one GPU (ranks on several GPUs reduce over nccl)");
                }
            }
            Device dev = Device.cuda(device);
            List<Tensor> ins = new ArrayList<>();
            List<Tensor> outs = new ArrayList<>();
            try {
                for (int r = 0; r < size; r++) {
                    ins.add(borrow((DeviceBuffer) slot.in[r], dev));
                    outs.add(slot.out[r] == slot.in[r] ? ins.getLast() : borrow((DeviceBuffer) slot.out[r], dev));
                }
                if (d.count > 0) {
                    switch (d.kind) {
                        case ALL_REDUCE -> TensorCollectives.allReduce(ins, d.op);
                        case REDUCE -> TensorCollectives.reduce(ins, d.root, d.op);
                        case BROADCAST -> TensorCollectives.broadcast(ins, d.root);
                        case ALL_GATHER -> TensorCollectives.allGather(outs, ins);
                        case REDUCE_SCATTER -> TensorCollectives.reduceScatter(outs, ins, d.op);
                        default -> throw new DistributedException("unexpected device op " + d.describe());
                    }
                }
                return DeviceCompletion.record(device, ((CudaBackend) Backends.forDevice(dev)).computeStream(), size);
            } finally {
                for (Tensor t : ins) t.close();
                for (Tensor t : outs) t.close();
            }
        }

        /** A flat tensor over a rank's device memory (borrowed: closing it frees nothing). */
        private static Tensor borrow(DeviceBuffer b, Device dev) {
            DeviceStorage storage = DeviceStorage.borrow(dev, b.pointer(), b.byteSize());
            try {
                return Tensor.fromStorage(storage, b.dtype(), new int[]{(int) b.count()}, new long[]{1}, 0);
            } finally {
                storage.release(); // the tensor holds its own reference
            }
        }

        private MemorySegment combine(Desc d, Object[] ins) {
            HostBuffer[] in = new HostBuffer[ins.length];
            for (int i = 0; i < ins.length; i++) in[i] = (HostBuffer) ins[i];
            if (d.kind == Kind.BARRIER) return MemorySegment.NULL;
            long elem = d.dtype.byteSize();
            Arena arena = Arena.ofAuto();
            switch (d.kind) {
                case ALL_REDUCE, REDUCE, REDUCE_SCATTER -> {
                    long n = d.kind == Kind.REDUCE_SCATTER ? d.count * size : d.count;
                    MemorySegment acc = arena.allocate(Math.max(1, n * elem), 8).asSlice(0, n * elem);
                    acc.copyFrom(in[0].segment().asSlice(0, n * elem));
                    for (int r = 1; r < size; r++) Reductions.reduceInto(acc, in[r].segment(), d.dtype, d.op, n);
                    if (d.op == ReduceOp.AVG) Reductions.divide(acc, d.dtype, n, size);
                    return acc;
                }
                case BROADCAST -> {
                    MemorySegment acc = arena.allocate(Math.max(1, d.count * elem), 8).asSlice(0, d.count * elem);
                    acc.copyFrom(in[d.root].segment().asSlice(0, d.count * elem));
                    return acc;
                }
                case ALL_GATHER -> {
                    long part = d.count * elem;
                    MemorySegment acc = arena.allocate(Math.max(1, part * size), 8).asSlice(0, part * size);
                    for (int r = 0; r < size; r++) MemorySegment.copy(in[r].segment(), 0, acc, r * part, part);
                    return acc;
                }
                default -> throw new DistributedException("unexpected op " + d.describe());
            }
        }

        private void deliver(int rank, Desc d, Slot slot, HostBuffer out) {
            // (host memory only: a device collective wrote every rank's output on the GPU)
            long elem = d.dtype.byteSize();
            switch (d.kind) {
                case ALL_REDUCE, BROADCAST, ALL_GATHER -> MemorySegment.copy(slot.result, 0, out.segment(), 0, slot.result.byteSize());
                case REDUCE -> {
                    if (rank == d.root) MemorySegment.copy(slot.result, 0, out.segment(), 0, slot.result.byteSize());
                }
                case REDUCE_SCATTER -> MemorySegment.copy(slot.result, rank * d.count * elem, out.segment(), 0, d.count * elem);
                default -> { }
            }
        }
    }
}
