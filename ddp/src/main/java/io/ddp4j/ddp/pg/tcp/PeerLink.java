package io.ddp4j.ddp.pg.tcp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The connection to one peer: a non-blocking socket channel, the frame being read from it, the
 * frames received and not yet consumed, and the frames waiting to be written.
 *
 * <p>A link has no thread of its own and nothing here is locked: whichever thread holds the
 * group's driver lock reads and writes it (the group's I/O thread, or a thread that runs an op it
 * is waiting for). Each of them watches the socket through its own selector, so the link has a
 * selection key per selector. Output is a queue of whole frames written in order, so a probe reply
 * queued while a large data frame is half-written never lands inside it.
 */
final class PeerLink {
    /** Control frames (ABORT, PROBE, PROBE_REPLY), handled on the I/O thread as they arrive. */
    interface Listener {
        void onControl(PeerLink link, Frame frame);
    }

    final int peer;
    final SocketChannel channel;
    private final List<SelectionKey> keys = new ArrayList<>(2);
    final ArrayDeque<Frame> collective = new ArrayDeque<>();
    final ArrayDeque<Frame> p2p = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer[]> output = new ArrayDeque<>();

    private final PayloadPool pool;
    private final ByteBuffer header = ByteBuffer.allocateDirect(Frame.HEADER_BYTES);
    private ByteBuffer payload;          // null while the header is being read
    private boolean saidGoodbye;
    private boolean outputShut;
    private volatile String goneReason;

    /** {@code channel} must be non-blocking; received payloads come from {@code pool}. */
    PeerLink(int peer, SocketChannel channel, PayloadPool pool) {
        this.peer = peer;
        this.channel = channel;
        this.pool = pool;
    }

    /** Adds the key of one more selector watching this link; all are added before any thread uses the link. */
    void watchedBy(SelectionKey key) {
        keys.add(key);
    }

    /** Null while the peer is connected; afterwards why it went away. */
    String goneReason() {
        return goneReason;
    }

    // ---- input --------------------------------------------------------------------------------

    /** Reads every whole frame the socket holds now; returns how many arrived. Never blocks. */
    int readAvailable(Listener listener) {
        if (goneReason != null) return 0;
        int frames = 0;
        try {
            while (true) {
                if (payload == null) {
                    if (channel.read(header) < 0) {
                        if (header.position() != 0) throw new IOException("connection closed in the middle of a frame");
                        gone(saidGoodbye ? "left the group (destroyed its process group)"
                                : "closed its connection without leaving the group (its process exited or was killed)");
                        return frames;
                    }
                    if (header.hasRemaining()) return frames;
                    payload = pool.take(Frame.payloadBytes(header));
                }
                if (payload.hasRemaining() && channel.read(payload) < 0) throw new IOException("connection closed in the middle of a frame");
                if (payload.hasRemaining()) return frames;
                Frame f = Frame.decode(header, payload.flip());
                header.clear();
                payload = null;
                frames++;
                switch (f.type()) {
                    case Frame.DATA -> collective.add(f);
                    case Frame.P2P -> p2p.add(f);
                    case Frame.GOODBYE -> saidGoodbye = true;
                    default -> listener.onControl(this, f);
                }
            }
        } catch (IOException e) {
            gone("lost its connection (" + e.getMessage() + "); its process probably died");
            return frames;
        }
    }

    private void gone(String reason) {
        if (goneReason != null) return;
        goneReason = reason;
        for (SelectionKey k : keys) k.cancel();
        if (saidGoodbye) shutdownOutput(); // the peer will never read again: end our side so its close() need not wait
    }

    // ---- output -------------------------------------------------------------------------------

    /** Queues one frame behind those already queued; {@link #flush()} writes it. */
    void enqueue(int type, OpDescriptor op, int part, int flags, MemorySegment body) {
        long n = body == null ? 0 : body.byteSize();
        ByteBuffer h = Frame.header(type, op, part, flags, (int) n);
        ByteBuffer[] frame = n == 0 ? new ByteBuffer[]{h} : new ByteBuffer[]{h, asBuffer(body)};
        output.add(frame);
    }

    /** Native and byte[] segments are written in place; other heap arrays (float[] ...) have no ByteBuffer view, so they are copied. */
    private static ByteBuffer asBuffer(MemorySegment body) {
        if (body.isNative() || body.heapBase().map(b -> b instanceof byte[]).orElse(false)) return body.asByteBuffer();
        return ByteBuffer.wrap(body.toArray(ValueLayout.JAVA_BYTE));
    }

    /**
     * Writes queued frames until the socket takes no more; true when the queue is empty. The
     * header and payload go out in one gathering write: one syscall and one segment for a small
     * frame.
     */
    boolean flush() throws IOException {
        if (goneReason != null && !output.isEmpty()) throw new IOException("rank " + peer + " " + goneReason);
        while (!output.isEmpty()) {
            ByteBuffer[] frame = output.peek();
            channel.write(frame);
            if (frame[frame.length - 1].hasRemaining()) {
                // whoever drives next must hear when the socket takes more: both selectors watch for it
                interest(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                return false;
            }
            output.poll();
        }
        interest(SelectionKey.OP_READ);
        return true;
    }

    private void interest(int ops) {
        for (SelectionKey k : keys) {
            if (k.isValid() && k.interestOps() != ops) k.interestOps(ops);
        }
    }

    boolean outputPending() {
        return !output.isEmpty();
    }

    void shutdownOutput() {
        if (outputShut) return;
        outputShut = true;
        try {
            channel.shutdownOutput();
        } catch (IOException ignored) {
            // the connection is going away either way
        }
    }

    /** Closed by this rank: later reads and writes on the link fail with this reason. */
    void close() {
        if (goneReason == null) goneReason = "was disconnected by this rank";
        for (SelectionKey k : keys) k.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
