package io.ddp4j.ddp.pg.tcp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connection to one peer: a blocking socket channel, a reader thread that drains it
 * continuously, and queues of received data frames.
 *
 * <p>Why blocking sockets on dedicated threads rather than a selector: a rank talks to few peers,
 * so one reader thread per peer is cheap, and the code stays straight-line. Because every
 * reader always drains its socket, a rank's blocking write can never deadlock against a peer
 * that is itself writing; the worker thread writes and then reduces what the readers queued,
 * which overlaps the network with the reduction. Control frames (abort, probe, goodbye) are
 * handled by the reader, so a rank answers a status probe even while its training thread is
 * stuck elsewhere.
 */
final class PeerLink implements AutoCloseable {
    interface Listener {
        /** ABORT, PROBE or PROBE_REPLY from this peer. */
        void onControl(PeerLink link, Frame frame);

        /** The connection ended; {@code clean} when the peer said goodbye first. */
        void onGone(PeerLink link, boolean clean, String reason);
    }

    final int peer;
    private final SocketChannel channel;
    private final ReentrantLock writeLock = new ReentrantLock();
    final LinkedBlockingQueue<Frame> collective = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Frame> p2p = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile boolean saidGoodbye;
    private volatile String goneReason;
    private volatile boolean goneClean;
    private volatile boolean closing;

    PeerLink(int peer, SocketChannel channel, String threadName, Listener listener) {
        this.peer = peer;
        this.channel = channel;
        this.reader = Thread.ofPlatform().daemon().name(threadName).start(() -> readLoop(listener));
    }

    /** Null while the peer is connected; afterwards why it went away. */
    String goneReason() {
        return goneReason;
    }

    boolean goneClean() {
        return goneClean;
    }

    private void readLoop(Listener listener) {
        ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_BYTES);
        String reason;
        boolean clean = false;
        try {
            while (true) {
                header.clear();
                if (!readFully(header)) {
                    clean = saidGoodbye;
                    reason = clean ? "left the group (destroyed its process group)"
                            : "closed its connection without leaving the group (its process exited or was killed)";
                    break;
                }
                int n = Frame.payloadBytes(header);
                byte[] payload = new byte[n];
                if (n > 0 && !readFully(ByteBuffer.wrap(payload))) throw new IOException("connection closed in the middle of a frame");
                Frame f = Frame.decode(header, payload);
                switch (f.type()) {
                    case Frame.DATA -> collective.add(f);
                    case Frame.P2P -> p2p.add(f);
                    case Frame.GOODBYE -> saidGoodbye = true;
                    default -> listener.onControl(this, f);
                }
            }
        } catch (IOException e) {
            reason = closing ? "was disconnected by this rank" : "lost its connection (" + e.getMessage() + "); its process probably died";
        }
        if (clean) {
            // the peer will never read again: finish our side so its close() need not wait
            shutdownOutputQuietly();
        }
        goneClean = clean;
        goneReason = reason;
        listener.onGone(this, clean, reason);
    }

    private boolean readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                if (b.position() == 0) return false;
                throw new IOException("connection closed in the middle of a frame");
            }
        }
        return true;
    }

    /** Writes one frame; the lock keeps frames from the worker and the reader (probe replies) whole. */
    void write(int type, OpDescriptor op, int part, int flags, MemorySegment payload) throws IOException {
        long n = payload == null ? 0 : payload.byteSize();
        ByteBuffer h = Frame.header(type, op, part, flags, (int) n);
        writeLock.lock();
        try {
            writeFully(h);
            if (n > 0) writeFully(asBuffer(payload));
        } finally {
            writeLock.unlock();
        }
    }

    /** Native and byte[] segments are written in place; other heap arrays (float[] ...) have no ByteBuffer view, so they are copied. */
    private static ByteBuffer asBuffer(MemorySegment payload) {
        if (payload.isNative() || payload.heapBase().map(b -> b instanceof byte[]).orElse(false)) return payload.asByteBuffer();
        return ByteBuffer.wrap(payload.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) channel.write(b);
    }

    /** Says goodbye and half-closes, so the peer reads everything we sent, then EOF. */
    void leave() {
        try {
            write(Frame.GOODBYE, OpDescriptor.IDLE, 0, 0, null);
        } catch (IOException ignored) {
            // the peer is gone already; nothing to tell it
        }
        shutdownOutputQuietly();
    }

    private void shutdownOutputQuietly() {
        writeLock.lock();
        try {
            channel.shutdownOutput();
        } catch (ClosedChannelException ignored) {
            // already closed
        } catch (IOException ignored) {
            // the connection is going away either way
        } finally {
            writeLock.unlock();
        }
    }

    /** Waits up to {@code millis} for the peer's EOF (the reader ends), then closes the socket. */
    void awaitEndAndClose(long millis) {
        try {
            reader.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    @Override
    public void close() {
        closing = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
