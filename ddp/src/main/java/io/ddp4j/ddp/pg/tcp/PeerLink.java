package io.ddp4j.ddp.pg.tcp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * The connection to one peer: a non-blocking socket channel, the frame being read from it, the
 * frames received and not yet consumed, and the frames waiting to be written.
 *
 * <p>A link has no thread of its own. The group's one I/O thread ({@link LinkPoller}) reads and
 * writes every link, so nothing here is locked. Output is a queue of whole frames written in
 * order, so a probe reply queued while a large data frame is half-written never lands inside it.
 */
final class PeerLink {
    /** Control frames (ABORT, PROBE, PROBE_REPLY), handled on the I/O thread as they arrive. */
    interface Listener {
        void onControl(PeerLink link, Frame frame);
    }

    final int peer;
    final SocketChannel channel;
    final SelectionKey key;
    final ArrayDeque<Frame> collective = new ArrayDeque<>();
    final ArrayDeque<Frame> p2p = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer[]> output = new ArrayDeque<>();

    private final ByteBuffer header = ByteBuffer.allocate(Frame.HEADER_BYTES);
    private ByteBuffer payload;          // null while the header is being read
    private boolean saidGoodbye;
    private boolean outputShut;
    private volatile String goneReason;

    PeerLink(int peer, SocketChannel channel, SelectionKey key) {
        this.peer = peer;
        this.channel = channel;
        this.key = key;
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
                    payload = ByteBuffer.allocate(Frame.payloadBytes(header));
                }
                if (payload.hasRemaining() && channel.read(payload) < 0) throw new IOException("connection closed in the middle of a frame");
                if (payload.hasRemaining()) return frames;
                Frame f = Frame.decode(header, payload.array());
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
        key.cancel();
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
                if (key.isValid()) key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                return false;
            }
            output.poll();
        }
        if (key.isValid() && (key.interestOps() & SelectionKey.OP_WRITE) != 0) key.interestOps(SelectionKey.OP_READ);
        return true;
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
        key.cancel();
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
