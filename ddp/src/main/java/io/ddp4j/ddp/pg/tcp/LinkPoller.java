package io.ddp4j.ddp.pg.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Iterator;

/**
 * One thread's view of a group's sockets: every link behind one selector. A group has two, one
 * for its I/O thread and one for a thread that runs an op it waits for itself; only the holder of
 * the group's driver lock may use either (the I/O thread may block in its own {@link #select}
 * without it, since that reads no link).
 *
 * <p>Why the thread that runs an op does every read and write: handing a frame from a reader
 * thread to the thread that runs the op costs a wake-up, and on a small collective the wake-ups
 * were most of the latency (on a 2-vCPU VM, ~60 us each against ~10 us for the socket itself). So
 * the thread that waits for a frame reads the socket itself, polling it briefly (yielding the
 * core) before it blocks in the selector, like MPI's progress loop. While it waits to write it
 * keeps reading every link, so two ranks writing large frames to each other can never deadlock;
 * and the I/O thread keeps reading between ops, so it answers status probes and notices dead
 * peers even when the training thread is stuck elsewhere.
 */
final class LinkPoller implements AutoCloseable {
    /** How long a waiting thread polls before it blocks; {@code -Dddp4j.tcp.spinMicros=N}, 0 turns polling off. */
    static final long SPIN_NANOS = Long.getLong("ddp4j.tcp.spinMicros", 200) * 1000;

    private final Selector selector;
    private final PeerLink[] links;
    private final PeerLink.Listener listener;
    private int looks;

    /** How long the next wait polls before it blocks: adapts between 0 and {@link #SPIN_NANOS}. */
    private long spinNanos = SPIN_NANOS;

    /** Watches every link in {@code links} (null where there is none, e.g. this rank's own slot). */
    LinkPoller(PeerLink[] links, PeerLink.Listener listener) {
        this.listener = listener;
        this.links = links;
        try {
            selector = Selector.open();
            for (PeerLink l : links) {
                if (l != null) l.watchedBy(l.channel.register(selector, SelectionKey.OP_READ, l));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the group's sockets for polling: " + e.getMessage(), e);
        }
    }

    PeerLink link(int peer) {
        return links[peer];
    }

    PeerLink[] links() {
        return links;
    }

    /** Makes a thread blocked in {@link #pump} return (another thread queued work for it). */
    void wakeup() {
        selector.wakeup();
    }

    /**
     * Reads what has arrived and writes what the sockets take; returns the number of frames read.
     * Waits up to {@code timeoutMillis} for something to happen; 0 does not wait.
     */
    int pump(long timeoutMillis) {
        return select(timeoutMillis) == 0 ? 0 : processSelected();
    }

    /** Waits up to {@code timeoutMillis} (0: not at all) for a socket to be ready; touches no link. Returns how many are. */
    int select(long timeoutMillis) {
        try {
            return timeoutMillis <= 0 ? selector.selectNow() : selector.select(timeoutMillis);
        } catch (IOException e) {
            throw new UncheckedIOException("polling the group's sockets failed: " + e.getMessage(), e);
        }
    }

    /** Reads and writes the links the last {@link #select} found ready; returns the frames read. */
    int processSelected() {
        int frames = 0;
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey key = it.next();
            it.remove();
            PeerLink l = (PeerLink) key.attachment();
            if (!key.isValid()) continue;
            if (key.isReadable()) frames += l.readAvailable(listener);
            if (key.isValid() && key.isWritable()) flushQuietly(l);
        }
        return frames;
    }

    /**
     * Polls until {@code spinUntilNanos} (yielding between polls) and then blocks up to
     * {@code timeoutMillis}, until at least one frame arrives or the time is up; returns the
     * frames read. Callers loop on it with their own condition.
     */
    int await(long spinUntilNanos, long timeoutMillis) {
        int got = pump(0);
        if (got > 0) return got;
        if (System.nanoTime() - spinUntilNanos < 0) {
            Thread.yield();
            return pump(0);
        }
        return pump(timeoutMillis);
    }

    /**
     * Like {@link #await} for a thread that waits for {@code l} in particular: while polling it
     * reads that link directly, one system call a look where a select costs several, and pumps
     * every link only every few looks or while output is queued (a peer's large frame must keep
     * moving so it never blocks the one this thread waits for). A cheap look matters when ranks
     * outnumber cores: the rank whose data is awaited gets the core back sooner.
     */
    int awaitFrom(PeerLink l, long spinUntilNanos, long timeoutMillis) {
        int got = l.readAvailable(listener);
        if (got > 0) return got;
        if (System.nanoTime() - spinUntilNanos >= 0) return pump(timeoutMillis);
        if ((++looks & 7) == 0 || outputQueued()) got = pump(0);
        if (got == 0) Thread.yield();
        return got;
    }

    private boolean outputQueued() {
        for (PeerLink l : links) if (l != null && l.outputPending()) return true;
        return false;
    }

    /**
     * Writes everything queued on {@code l}, reading every link meanwhile (so two ranks writing
     * large frames to each other cannot deadlock). Returns false if the deadline passed first;
     * throws if the link broke.
     */
    boolean flush(PeerLink l, long deadlineNanos) throws IOException {
        boolean empty = l.flush();
        if (empty) return true;
        long start = System.nanoTime();
        long spinUntil = start + spinNanos;
        while (!empty) {
            if (l.goneReason() != null) throw new IOException("rank " + l.peer + " " + l.goneReason());
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return false;
            await(spinUntil, Math.clamp(left / 1_000_000, 1, 50));
            empty = l.flush();
        }
        waitEnded(start);
        return true;
    }

    /** How long a wait starting now should poll before it blocks. */
    long spinNanos() {
        return spinNanos;
    }

    /**
     * Adapts the polling time to what waits have been taking: a wait that ended within
     * {@link #SPIN_NANOS} means polling pays (peers answer fast: small collectives on a quiet
     * host), so polling grows back; a longer one halves it, so that on a slow or rate-limited link,
     * where a rank waits milliseconds for socket space or data, a communicating thread blocks
     * instead of polling on a core the training thread could use. (The overlap experiment's
     * backward, 60% slower beside the communication on 2 cores, did not measurably change with it.)
     */
    void waitEnded(long startNanos) {
        if (SPIN_NANOS <= 0) return;
        if (System.nanoTime() - startNanos < SPIN_NANOS) spinNanos = Math.min(SPIN_NANOS, Math.max(2 * spinNanos, SPIN_NANOS / 32));
        else spinNanos /= 2;
    }

    /** Queues a frame and writes what the socket takes now; never waits (the rest goes out as the socket drains). */
    static void post(PeerLink l, int type, OpDescriptor op, int part, int flags, MemorySegment body) {
        if (l.goneReason() != null) return;
        l.enqueue(type, op, part, flags, body);
        flushQuietly(l);
    }

    private static void flushQuietly(PeerLink l) {
        try {
            l.flush();
        } catch (IOException e) {
            // the read side notices the broken connection and records why
        }
    }

    /** Writes everything queued on every link, reading meanwhile, until done or the deadline. */
    void drainOutput(long deadlineNanos) {
        while (System.nanoTime() - deadlineNanos < 0) {
            boolean pending = false;
            for (PeerLink l : links) {
                if (l == null || l.goneReason() != null) continue;
                flushQuietly(l);
                pending |= l.outputPending() && l.goneReason() == null;
            }
            if (!pending) return;
            pump(10);
        }
    }

    /** Closes this selector; the links stay open (the group closes them). */
    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
