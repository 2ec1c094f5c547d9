package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.CollectiveShapes;
import io.ddp4j.ddp.pg.CompletableWork;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.PeerFailureException;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.ddp.store.Store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The {@code tcp} backend: a CPU process group over a full mesh of TCP connections, Gloo-like.
 * Ops run in issue order on one I/O thread per group, so {@link Work} is asynchronous; the thread
 * that runs an op also does its socket reads and writes ({@link LinkPoller}), so no frame changes
 * threads on its way from the socket to the reduction.
 *
 * <p>An op awaited before the I/O thread has started it runs on the awaiting thread instead (when
 * every earlier op is done): {@code allReduce(x).await()} then costs no thread handoff at all,
 * where otherwise the issuing thread wakes the I/O thread and the I/O thread wakes it back, two
 * trips through the scheduler that cost more than a small all-reduce itself. Whoever runs ops or
 * touches the sockets holds the group's driver lock; an op issued and not awaited (DDP's buckets
 * during backward) still runs on the I/O thread while the issuing thread gets on with its work.
 *
 * <p>Failures are turned into exceptions that name a rank, never into hangs:
 * <ul>
 *   <li>a peer that dies (its socket closes without a goodbye) fails the op that needs it at once;
 *   <li>a peer that stalls makes the waiting rank time out; before failing, that rank asks every
 *       peer where it is (a probe answered by the peer's I/O thread, even if its training
 *       thread is stuck) and names the ranks that never reached this op;
 *   <li>a rank that fails an op tells every peer (an abort frame), so ranks waiting on someone
 *       else fail at once with the same explanation; after that the group is broken and every
 *       later op fails fast.
 * </ul>
 */
public final class TcpProcessGroup implements ProcessGroup {
    /**
     * How long the idle I/O thread blocks in a select on the sockets before it looks for ops nobody
     * woke it for; {@code -Dddp4j.tcp.idlePollMicros=N}.
     */
    private static final long IDLE_POLL_NANOS = Math.max(1000, Long.getLong("ddp4j.tcp.idlePollMicros", 1000)) * 1000;
    /** How long after an awaiting thread ran an op the I/O thread keeps off the sockets. */
    private static final long CALLER_QUIET_NANOS = 20_000_000;
    /** How often the I/O thread looks for unclaimed ops while it keeps off the sockets. */
    private static final long CALLER_MODE_POLL_NANOS = 2_000_000;
    /** How long a small op waits for the thread that awaits it before the I/O thread runs it. */
    private static final long CLAIM_WINDOW_NANOS = 1_000_000;
    /** How long a thread that awaits its op waits for the I/O thread to let go of the sockets between ops. */
    private static final long HANDOVER_SPIN_NANOS = 50_000;
    /** Ops this large wake the I/O thread when issued; smaller ones are left for the thread that awaits them. */
    private static final long EAGER_START_BYTES = 256 * 1024;

    private final String name;
    private final int rank;
    private final int size;
    private final List<Integer> globalRanks;
    private final TcpOptions options;
    private final PeerLink[] links;
    /** Receive buffers, shared by the links; used under the driver lock only. */
    private final PayloadPool pool = new PayloadPool();
    /** The I/O thread's view of the sockets, and the one a thread running its own op uses. */
    private final LinkPoller ioPoller, callerPoller;
    /** Held by whoever runs an op or reads and writes the sockets: the I/O thread or an awaiting thread. */
    private final ReentrantLock driver = new ReentrantLock();
    private final Thread ioThread;
    private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
    private long submittedTasks;
    /** Ops finish in issue order, so this count says which op may run next; written under {@link #driver}. */
    private volatile long finishedTasks;
    /** When an awaiting thread last ran an op itself; while that is recent the I/O thread leaves the sockets alone. */
    private volatile long lastAwaitedOp = System.nanoTime() - CALLER_QUIET_NANOS;
    private volatile boolean stopping;
    private final Map<Integer, Frame> probeReplies = new ConcurrentHashMap<>();

    private long issuedCollectives;
    private final long[] issuedSends;
    private final long[] issuedRecvs;

    private volatile PeerFailureException failure;
    private volatile OpDescriptor currentOp = OpDescriptor.IDLE;
    private volatile boolean inOp;
    private volatile long startedCollectives;
    private volatile boolean closed;

    private TcpProcessGroup(String name, int rank, int size, List<Integer> globalRanks, TcpOptions options, SocketChannel[] channels) {
        this.name = name;
        this.rank = rank;
        this.size = size;
        this.globalRanks = List.copyOf(globalRanks);
        this.options = options;
        this.issuedSends = new long[size];
        this.issuedRecvs = new long[size];
        this.links = new PeerLink[size];
        try {
            for (int p = 0; p < size; p++) {
                if (channels[p] == null) continue;
                channels[p].configureBlocking(false);
                // every frame goes out in one write and is waited for: Nagle would hold a small frame
                // back until the previous one is acknowledged, and delayed acks make that up to 40 ms
                channels[p].setOption(StandardSocketOptions.TCP_NODELAY, true);
                links[p] = new PeerLink(p, channels[p], pool);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": cannot set up group '" + name + "''s sockets for polling: " + e.getMessage(), e);
        }
        LinkListener listener = new LinkListener();
        this.ioPoller = new LinkPoller(links, listener);
        this.callerPoller = new LinkPoller(links, listener);
        this.ioThread = Thread.ofPlatform().daemon().name("ddp4j-tcp-" + name + "-rank" + rank).start(this::ioLoop);
    }

    /**
     * An issued op; {@code taken} (written under the driver) makes sure exactly one thread runs it.
     * {@code eager}: the I/O thread runs it as soon as the ops before it are done, without waiting
     * for a thread that awaits it to claim it (large ops, and ops whose awaiting thread left them).
     */
    private static final class Task {
        final long index;
        final OpDescriptor op;
        final Consumer<Collectives> body;
        final CompletableWork work;
        volatile boolean eager;
        final long submittedNanos = System.nanoTime();
        volatile boolean taken;

        Task(long index, OpDescriptor op, Consumer<Collectives> body, CompletableWork work, boolean eager) {
            this.index = index;
            this.op = op;
            this.body = body;
            this.work = work;
            this.eager = eager;
        }
    }

    /**
     * Runs queued ops in order; between ops it keeps reading the sockets (probes, aborts,
     * disconnects, frames of peers that are ahead). It waits for the sockets without the driver
     * lock, so an awaiting thread can run its own op meanwhile. Right after an op it polls for a
     * short while before blocking, so back-to-back queued ops do not pay a wake-up each.
     */
    private void ioLoop() {
        long spinUntil = System.nanoTime() + LinkPoller.SPIN_NANOS;
        boolean socketsReady = false;
        while (true) {
            try {
                if (stopping || hasTaskToRun()) {
                    // wait for the driver even if an awaiting thread holds it running an earlier op
                    driver.lock();
                } else if (socketsReady) {
                    if (!driver.tryLock()) {
                        // an awaiting thread is running its op and reads these sockets itself; look
                        // again later rather than queue for the lock, which would cost it an unpark
                        LockSupport.parkNanos(CALLER_MODE_POLL_NANOS);
                        continue;
                    }
                } else {
                    if (System.nanoTime() - spinUntil < 0) {
                        socketsReady = ioPoller.select(0) > 0;
                        if (!socketsReady) Thread.yield();
                    } else if (System.nanoTime() - lastAwaitedOp < CALLER_QUIET_NANOS) {
                        // ops are being run by the threads that await them: stay off the sockets, since a
                        // thread blocked in a select on them is woken by every frame of those ops (on a
                        // busy machine those wake-ups were measured at ~25 us of each small all-reduce)
                        LockSupport.parkNanos(CALLER_MODE_POLL_NANOS);
                    } else {
                        // an eager task submitted after the check above wakes this select up
                        socketsReady = ioPoller.select(IDLE_POLL_NANOS / 1_000_000) > 0;
                    }
                    continue;
                }
                try {
                    if (socketsReady) ioPoller.processSelected();
                    socketsReady = false;
                    if (hasTaskToRun() || stopping) {
                        Task t = tasks.poll();
                        if (t != null && runIfUntaken(t, ioPoller)) spinUntil = System.nanoTime() + ioPoller.spinNanos();
                        if (t == null && stopping) return;
                    }
                } finally {
                    driver.unlock();
                }
            } catch (RuntimeException e) {
                fail(new PeerFailureException("rank " + rank + ": group '" + name + "' lost its sockets: " + e.getMessage(), List.of(), e), false);
                socketsReady = false;
                try {
                    Thread.sleep(10); // no busy loop on a broken selector; ops queued now fail at once
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /**
     * Whether the I/O thread should run the next op: a large one at once; a small one only once it
     * has waited a moment unclaimed, since it is usually awaited straight away and then runs on
     * the awaiting thread, and an I/O thread that took it would cost that thread two handoffs.
     */
    private boolean hasTaskToRun() {
        Task head = tasks.peek();
        return head != null && (head.eager || System.nanoTime() - head.submittedNanos >= CLAIM_WINDOW_NANOS);
    }

    /** Runs {@code t} on the calling thread unless another thread already has; the caller holds the driver. */
    private boolean runIfUntaken(Task t, LinkPoller poller) {
        if (t.taken) return false;
        t.taken = true;
        try {
            run(t.op, t.body, t.work, poller);
        } finally {
            finishedTasks = t.index + 1;
        }
        return true;
    }

    /**
     * The awaiting thread's offer to run {@code t} itself: only when every earlier op is done (so
     * order holds) and the I/O thread has not started it. The I/O thread later finds it taken.
     *
     * <p>It never queues for the driver behind a running op. The holder may keep the lock for that
     * whole op and, the lock being unfair, take it again for the next queued one before a queued
     * thread wakes up: measured with DDP's completion thread awaiting bucket 0 while the I/O thread
     * ran buckets 0 to 5, the thread sat on the lock until the queue ran dry and saw six finished
     * buckets at once, up to 85 ms late. Instead it leaves the op to the I/O thread, marked so that
     * it runs straight after the ones before it, and waits for its completion.
     */
    private void runIfNext(Task t) {
        if (Thread.currentThread() == ioThread) return;
        long giveUp = System.nanoTime() + HANDOVER_SPIN_NANOS;
        while (!t.taken && finishedTasks == t.index) {
            if (driver.tryLock()) {
                try {
                    if (finishedTasks == t.index && runIfUntaken(t, callerPoller)) {
                        tasks.remove(t); // at the head: all earlier ones are done
                        lastAwaitedOp = System.nanoTime();
                    }
                } finally {
                    driver.unlock();
                }
                return;
            }
            // held by a running op (this one or one before it), or too long: not ours to run
            if (inOp || System.nanoTime() - giveUp > 0) break;
            Thread.onSpinWait(); // the I/O thread reads the sockets between ops: a moment
        }
        if (!t.taken && !t.eager) {
            t.eager = true;
            ioPoller.wakeup();
            LockSupport.unpark(ioThread);
        }
    }

    /**
     * Connects {@code size} ranks through {@code store} (which should be private to this group,
     * e.g. a PrefixStore) and returns this rank's member. Blocks until every peer is connected.
     */
    public static TcpProcessGroup create(Store store, int rank, int size, List<Integer> globalRanks, String name, TcpOptions options) {
        if (size < 1) throw new IllegalArgumentException("group size must be >= 1, got " + size);
        if (rank < 0 || rank >= size) throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (size - 1));
        if (globalRanks.size() != size) throw new IllegalArgumentException("globalRanks has " + globalRanks.size() + " entries for a group of " + size);
        SocketChannel[] channels = new TcpConnector(store, rank, size, name, options.timeout()).connect(options.listenAddress());
        return new TcpProcessGroup(name, rank, size, globalRanks, options, channels);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<Integer> globalRanks() {
        return globalRanks;
    }

    @Override
    public String backend() {
        return "tcp";
    }

    public String name() {
        return name;
    }

    public Duration timeout() {
        return options.timeout();
    }

    // ---- issuing ops ------------------------------------------------------------------------

    private void checkRank(int r, String what) {
        if (r < 0 || r >= size) throw new IllegalArgumentException(what + " " + r + " is outside 0.." + (size - 1) + " (ranks here are ranks of group '" + name + "')");
    }

    private synchronized Work issueCollective(OpKind kind, ReduceOp op, HostBuffer buf, long count, int root, Consumer<Collectives> body) {
        OpDescriptor d = new OpDescriptor(kind, ++issuedCollectives, op, buf == null ? null : buf.dtype(), count, root);
        return submit(d, buf == null ? 0 : buf.bytes().byteSize(), body);
    }

    /** Queues an op for the I/O thread; awaiting it before the I/O thread gets to it runs it on the awaiting thread. */
    private synchronized Work submit(OpDescriptor d, long bytes, Consumer<Collectives> body) {
        if (closed) throw new IllegalStateException("process group '" + name + "' on rank " + rank + " is closed; cannot start " + d.describe());
        CompletableWork work = new CompletableWork(d.describe() + " on rank " + rank + " of group '" + name + "'", options.timeout());
        boolean eager = bytes >= EAGER_START_BYTES;
        Task t = new Task(submittedTasks++, d, body, work, eager);
        work.helpWhenAwaited(() -> runIfNext(t));
        tasks.add(t);
        // a small op is usually awaited at once and run by the awaiting thread; waking the I/O thread
        // for it would cost that thread a context switch for nothing. Not awaited, it starts within
        // a few milliseconds, when the I/O thread next looks.
        if (eager) {
            ioPoller.wakeup();
            LockSupport.unpark(ioThread);
        }
        return work;
    }

    @Override
    public Work allReduce(HostBuffer buffer, ReduceOp op) {
        Reductions.check(buffer.dtype(), op);
        return issueCollective(OpKind.ALL_REDUCE, op, buffer, buffer.count(), 0,
                c -> c.allReduce(buffer.bytes(), buffer.dtype(), buffer.count(), op));
    }

    @Override
    public Work broadcast(HostBuffer buffer, int root) {
        checkRank(root, "root");
        return issueCollective(OpKind.BROADCAST, null, buffer, buffer.count(), root, c -> c.broadcast(buffer.bytes(), buffer.dtype(), root));
    }

    @Override
    public Work reduce(HostBuffer buffer, int root, ReduceOp op) {
        checkRank(root, "root");
        Reductions.check(buffer.dtype(), op);
        return issueCollective(OpKind.REDUCE, op, buffer, buffer.count(), root, c -> c.reduce(buffer.bytes(), buffer.dtype(), buffer.count(), root, op));
    }

    @Override
    public Work allGather(HostBuffer output, HostBuffer input) {
        CollectiveShapes.allGather(size, output.dtype(), output.count(), input.dtype(), input.count());
        return issueCollective(OpKind.ALL_GATHER, null, input, input.count(), 0,
                c -> c.allGather(output.bytes(), input.bytes(), input.dtype(), input.count()));
    }

    @Override
    public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) {
        CollectiveShapes.reduceScatter(size, output.dtype(), output.count(), input.dtype(), input.count(), op);
        return issueCollective(OpKind.REDUCE_SCATTER, op, output, output.count(), 0,
                c -> c.reduceScatter(output.bytes(), input.bytes(), input.dtype(), output.count(), op));
    }

    @Override
    public Work barrier() {
        return issueCollective(OpKind.BARRIER, null, null, 0, 0, Collectives::barrier);
    }

    @Override
    public Work send(HostBuffer buffer, int peer, int tag) {
        checkRank(peer, "peer");
        if (peer == rank) throw new IllegalArgumentException("rank " + rank + " cannot send to itself");
        return issueP2p(issuedSends, buffer, peer, tag, c -> c.send(buffer.bytes(), buffer.dtype(), peer));
    }

    @Override
    public Work recv(HostBuffer buffer, int peer, int tag) {
        checkRank(peer, "peer");
        if (peer == rank) throw new IllegalArgumentException("rank " + rank + " cannot receive from itself");
        return issueP2p(issuedRecvs, buffer, peer, tag, c -> c.recv(buffer.bytes(), buffer.dtype(), peer));
    }

    /**
     * Numbers a send or receive on its link and queues it in one step, so two threads talking to
     * the same peer cannot queue their ops in the other order than they were numbered. A receive
     * is described like the send it matches.
     */
    private synchronized Work issueP2p(long[] issued, HostBuffer buffer, int peer, int tag, Consumer<Collectives> body) {
        OpDescriptor d = new OpDescriptor(OpKind.SEND, ++issued[peer], null, buffer.dtype(), buffer.count(), tag);
        return submit(d, buffer.bytes().byteSize(), body);
    }

    // ---- running ops (on the I/O thread or an awaiting thread, holding the driver) --------------

    private void run(OpDescriptor d, Consumer<Collectives> body, CompletableWork work, LinkPoller poller) {
        PeerFailureException f = failure;
        if (f != null) {
            work.fail(sameKind(f, "rank " + rank + ": " + d.describe() + " not started, group '" + name + "' failed earlier: " + f.getMessage()));
            return;
        }
        currentOp = d;
        inOp = true;
        if (d.kind() != OpKind.SEND) startedCollectives = d.seq();
        try {
            OpTransport t = new OpTransport(d, poller);
            try {
                body.accept(new Collectives(t, options));
            } finally {
                t.releaseReceived();
            }
            work.complete();
        } catch (PeerFailureException e) {
            work.fail(e);
        } catch (RuntimeException | Error e) {
            PeerFailureException pf = new PeerFailureException("rank " + rank + ": " + d.describe() + " failed: " + e, List.of(), e);
            fail(pf, true);
            work.fail(e);
        } finally {
            inOp = false;
        }
    }

    /** {@code f} restated for another op, keeping its kind: a mismatch stays a mismatch on every rank. */
    private static PeerFailureException sameKind(PeerFailureException f, String message) {
        return f instanceof CollectiveMismatchException
                ? new CollectiveMismatchException(message, f.suspectRanks(), f)
                : new PeerFailureException(message, f.suspectRanks(), f);
    }

    /** Records the group's first failure; tells the peers when this rank detected it. */
    private void fail(PeerFailureException e, boolean tellPeers) {
        synchronized (this) {
            if (failure != null) return;
            failure = e;
        }
        if (!tellPeers) return;
        String suspects = e.suspectRanks().stream().map(String::valueOf).collect(Collectors.joining(","));
        byte[] payload = (suspects + "\n" + e.getMessage()).getBytes(StandardCharsets.UTF_8);
        for (PeerLink l : links) {
            if (l != null) LinkPoller.post(l, Frame.ABORT, currentOp, 0, e instanceof CollectiveMismatchException ? 1 : 0, MemorySegment.ofArray(payload));
        }
    }

    /** The transport of one op: numbers frames per link, checks fingerprints, bounds waits. */
    private final class OpTransport implements Transport {
        private final OpDescriptor op;
        private final LinkPoller poller;
        /** The frame each peer last handed this op: its buffer goes back to the pool on the next receive from that peer. */
        private final Frame[] lastReceived = new Frame[size];
        private final int frameType;
        private final long deadline;
        private final int[] sent = new int[size];
        private final int[] received = new int[size];

        OpTransport(OpDescriptor op, LinkPoller poller) {
            this.op = op;
            this.poller = poller;
            this.frameType = op.kind() == OpKind.SEND ? Frame.P2P : Frame.DATA;
            this.deadline = System.nanoTime() + options.timeout().toNanos();
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return size;
        }

        private void checkFailure() {
            PeerFailureException f = failure;
            if (f != null) {
                throw sameKind(f, "rank " + rank + ": " + op.describe() + " failed: " + f.getMessage());
            }
        }

        @Override
        public void send(int peer, MemorySegment payload) {
            post(peer, payload);
            flushLink(peer);
        }

        @Override
        public void post(int peer, MemorySegment payload) {
            checkFailure();
            PeerLink l = poller.link(peer);
            if (l.goneReason() != null) throw peerGone(peer, l);
            LinkPoller.post(l, frameType, op, sent[peer]++, 0, payload);
        }

        @Override
        public void flush() {
            for (int p = 0; p < size; p++) {
                PeerLink l = poller.link(p);
                if (l != null && l.outputPending()) flushLink(p);
            }
        }

        /** Until everything queued for {@code peer} is with the kernel, bounded by the op's deadline. */
        private void flushLink(int peer) {
            PeerLink l = poller.link(peer);
            boolean written;
            try {
                written = poller.flush(l, deadline);
            } catch (IOException e) {
                PeerFailureException pf = new PeerFailureException("rank " + rank + ": " + op.describe() + " could not send to rank " + peer
                        + ", which " + (l.goneReason() != null ? l.goneReason() : "dropped the connection (" + e.getMessage() + ")"), List.of(peer), e);
                fail(pf, true);
                throw pf;
            }
            if (!written) {
                PeerFailureException pf = timedOut(peer);
                fail(pf, true);
                throw pf;
            }
        }

        @Override
        public void progress() {
            poller.pump(0);
        }

        @Override
        public MemorySegment receive(int peer, long bytes) {
            release(peer);
            PeerLink l = poller.link(peer);
            var queue = frameType == Frame.P2P ? l.p2p : l.collective;
            Frame ready = queue.poll();
            if (ready != null) return check(peer, ready, bytes);
            long start = System.nanoTime();
            long spinUntil = start + poller.spinNanos();
            while (true) {
                Frame f = queue.poll();
                if (f != null) {
                    poller.waitEnded(start);
                    return check(peer, f, bytes);
                }
                checkFailure();
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new DistributedException("rank " + rank + ": interrupted in " + op.describe());
                }
                if (l.goneReason() != null && queue.isEmpty()) throw peerGone(peer, l);
                if (System.nanoTime() - deadline >= 0 && queue.isEmpty()) {
                    PeerFailureException pf = timedOut(peer);
                    fail(pf, true);
                    throw pf;
                }
                if (queue.isEmpty()) poller.awaitFrom(l, spinUntil, Math.clamp((deadline - System.nanoTime()) / 1_000_000, 1, 50));
            }
        }

        private MemorySegment check(int peer, Frame f, long bytes) {
            int part = received[peer]++;
            if (!f.op().equals(op)) {
                String msg = "collective mismatch in group '" + name + "': rank " + rank + " is in " + op.describe() + " but rank " + peer
                        + " sent data for " + f.op().describe() + "; every rank must issue the same collectives in the same order with the same sizes and dtypes";
                CollectiveMismatchException e = new CollectiveMismatchException(msg, peer);
                fail(e, true);
                throw e;
            }
            if (f.part() != part || f.payload().remaining() != bytes) {
                DistributedException bug = new DistributedException("rank " + rank + ": " + op.describe() + " got frame " + f.part() + " of "
                        + f.payload().remaining() + " bytes from rank " + peer + ", expected frame " + part + " of " + bytes + " bytes");
                fail(new PeerFailureException(bug.getMessage(), List.of(peer)), true);
                throw bug;
            }
            lastReceived[peer] = f;
            return MemorySegment.ofBuffer(f.payload());
        }

        private void release(int peer) {
            Frame f = lastReceived[peer];
            if (f == null) return;
            lastReceived[peer] = null;
            pool.give(f.payload());
        }

        /** At the end of the op, successful or not: the algorithms are done with every received segment. */
        void releaseReceived() {
            for (int p = 0; p < size; p++) release(p);
        }

        private PeerFailureException peerGone(int peer, PeerLink l) {
            PeerFailureException pf = new PeerFailureException("rank " + rank + ": " + op.describe() + " needs rank " + peer + ", which "
                    + l.goneReason(), List.of(peer));
            fail(pf, true);
            return pf;
        }

        /** Asks every peer where it is, then names the ranks that never reached this op. */
        private PeerFailureException timedOut(int waitedFor) {
            Map<Integer, Frame> replies = probe();
            List<Integer> suspects = new ArrayList<>();
            List<String> status = new ArrayList<>();
            for (int p = 0; p < size; p++) {
                if (p == rank) continue;
                PeerLink l = poller.link(p);
                Frame reply = replies.get(p);
                if (l.goneReason() != null) {
                    suspects.add(p);
                    status.add("rank " + p + " " + l.goneReason());
                } else if (reply == null) {
                    suspects.add(p);
                    status.add("rank " + p + " did not answer a status probe (stopped, or its network is down)");
                } else {
                    boolean busy = reply.flags() == 1;
                    String where = reply.op().describe() + (busy ? " (still in it)" : " (finished)");
                    boolean behind = op.kind() != OpKind.SEND && reply.part() < op.seq();
                    if (behind) {
                        suspects.add(p);
                        status.add("rank " + p + " has not reached " + op.kind().displayName + " #" + op.seq() + ": it is at " + where);
                    } else if (p == waitedFor) {
                        status.add("rank " + p + " is at " + where);
                    }
                }
            }
            String verdict;
            if (suspects.isEmpty()) {
                suspects.add(waitedFor);
                verdict = "every rank has reached it, so rank " + waitedFor + " is slow or its link is stalled";
            } else {
                verdict = "look at rank" + (suspects.size() > 1 ? "s " + suspects : " " + suspects.getFirst())
                        + ": stalled, crashed, or it skipped this collective";
            }
            return new PeerFailureException("rank " + rank + ": " + op.describe() + " in group '" + name + "' timed out after "
                    + Durations.format(options.timeout()) + " waiting for rank " + waitedFor + "; " + String.join("; ", status) + "; " + verdict,
                    suspects);
        }

        private Map<Integer, Frame> probe() {
            probeReplies.clear();
            List<Integer> asked = new ArrayList<>();
            for (PeerLink l : poller.links()) {
                if (l == null || l.goneReason() != null) continue;
                LinkPoller.post(l, Frame.PROBE, op, 0, 0, null);
                asked.add(l.peer);
            }
            long window = Math.min(2000, Math.max(100, options.timeout().toMillis() / 2));
            long until = System.nanoTime() + window * 1_000_000;
            while (System.nanoTime() < until && !probeReplies.keySet().containsAll(asked)) {
                poller.pump(5);
            }
            return Map.copyOf(probeReplies);
        }
    }

    /** Control frames, on the I/O thread as they arrive. */
    private final class LinkListener implements PeerLink.Listener {
        @Override
        public void onControl(PeerLink link, Frame f) {
            switch (f.type()) {
                case Frame.ABORT -> {
                    String text = new String(f.payloadBytes(), StandardCharsets.UTF_8);
                    int nl = text.indexOf('\n');
                    List<Integer> suspects = nl <= 0 ? List.of() : Arrays.stream(text.substring(0, nl).split(",")).map(Integer::valueOf).toList();
                    String msg = nl < 0 ? text : text.substring(nl + 1);
                    String why = "rank " + link.peer + " aborted group '" + name + "': " + msg;
                    fail(f.flags() == 1 ? new CollectiveMismatchException(why, suspects, null) : new PeerFailureException(why, suspects), false);
                }
                case Frame.PROBE -> LinkPoller.post(link, Frame.PROBE_REPLY, currentOp, (int) startedCollectives, inOp ? 1 : 0, null);
                case Frame.PROBE_REPLY -> probeReplies.put(link.peer, f);
                default -> { }
            }
        }
    }

    // ---- closing ------------------------------------------------------------------------------

    /**
     * Finishes the ops already issued (each bounded by the timeout), says goodbye to every peer,
     * and waits briefly for them to close their side, so no peer mistakes this for a crash.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        stopping = true;
        ioPoller.wakeup();
        try {
            ioThread.join(options.timeout().toMillis() + 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ioThread.isAlive()) {
            // an op is still stuck past its own timeout: do not share the sockets with it, just cut them
            ioThread.interrupt();
            closeSockets();
            return;
        }
        // the I/O thread is gone, so this thread drives the sockets now: goodbye, then wait for
        // each peer's end of stream (answering probes meanwhile) so none mistakes this for a crash
        driver.lock();
        try {
            long until = System.nanoTime() + Math.min(5000, options.timeout().toMillis()) * 1_000_000;
            for (PeerLink l : links) if (l != null) LinkPoller.post(l, Frame.GOODBYE, OpDescriptor.IDLE, 0, 0, null);
            ioPoller.drainOutput(until);
            for (PeerLink l : links) if (l != null) l.shutdownOutput();
            while (System.nanoTime() - until < 0 && Arrays.stream(links).anyMatch(l -> l != null && l.goneReason() == null)) {
                ioPoller.pump(10);
            }
        } finally {
            driver.unlock();
            closeSockets();
        }
    }

    private void closeSockets() {
        for (PeerLink l : links) if (l != null) l.close();
        ioPoller.close();
        callerPoller.close();
    }

    @Override
    public String toString() {
        return "TcpProcessGroup[" + name + ", rank " + rank + " of " + size + "]";
    }
}
