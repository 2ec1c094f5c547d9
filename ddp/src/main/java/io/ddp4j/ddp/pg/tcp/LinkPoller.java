package io.ddp4j.ddp.pg.tcp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Iterator;

/**
 * All of a group's sockets behind one selector, driven by one thread at a time: the group's I/O
 * thread while it lives, the closing thread after.
 *
 * <p>Why one thread does every read and write: handing a frame from a reader thread to the thread
 * that runs the op costs a wake-up, and on a small collective the wake-ups were most of the
 * latency (on a 2-vCPU VM, ~60 us each against ~10 us for the socket itself). So the thread that
 * waits for a frame reads the socket itself, polling it briefly (yielding the core) before it
 * blocks in the selector, like MPI's progress loop. While it waits to write it keeps reading every
 * link, so two ranks writing large frames to each other can never deadlock; and while it is idle
 * between ops it keeps reading too, so it answers status probes and notices dead peers even when
 * the training thread is stuck elsewhere.
 */
final class LinkPoller implements AutoCloseable {
    /** How long a waiting thread polls before it blocks; {@code -Dddp4j.tcp.spinMicros=N}, 0 turns polling off. */
    static final long SPIN_NANOS = Long.getLong("ddp4j.tcp.spinMicros", 200) * 1000;

    private final Selector selector;
    private final PeerLink[] links;
    private final PeerLink.Listener listener;

    LinkPoller(SocketChannel[] channels, PeerLink.Listener listener) {
        this.listener = listener;
        this.links = new PeerLink[channels.length];
        try {
            selector = Selector.open();
            for (int p = 0; p < channels.length; p++) {
                if (channels[p] == null) continue;
                channels[p].configureBlocking(false);
                SelectionKey key = channels[p].register(selector, SelectionKey.OP_READ);
                links[p] = new PeerLink(p, channels[p], key);
                key.attach(links[p]);
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
        try {
            int ready = timeoutMillis <= 0 ? selector.selectNow() : selector.select(timeoutMillis);
            if (ready == 0) return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("polling the group's sockets failed: " + e.getMessage(), e);
        }
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
     * Polls for {@code spinNanos} (yielding between polls) and then blocks up to
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
     * Writes everything queued on {@code l}, reading every link meanwhile (so two ranks writing
     * large frames to each other cannot deadlock). Returns false if the deadline passed first;
     * throws if the link broke.
     */
    boolean flush(PeerLink l, long deadlineNanos) throws IOException {
        boolean empty = l.flush();
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!empty) {
            if (l.goneReason() != null) throw new IOException("rank " + l.peer + " " + l.goneReason());
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) return false;
            await(spinUntil, Math.clamp(left / 1_000_000, 1, 50));
            empty = l.flush();
        }
        return true;
    }

    /** Queues a frame and writes what the socket takes now; never waits (the rest goes out as the socket drains). */
    void post(PeerLink l, int type, OpDescriptor op, int part, int flags, MemorySegment body) {
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

    @Override
    public void close() {
        for (PeerLink l : links) if (l != null) l.close();
        try {
            selector.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
