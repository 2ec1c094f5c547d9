package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.store.Store;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Builds the full mesh of a group: every rank listens on its address, publishes it in the store
 * under {@code addr/<rank>}, connects to every lower rank and accepts every higher one. A hello
 * carries the group's nonce (agreed through the store, so a stray connection from another job
 * is refused), the rank, the group size and the byte order.
 */
final class TcpConnector {
    private static final int MAGIC = 0x44445047; // "DDPG"
    private static final short VERSION = 1;
    private static final byte OK = 0, REFUSED = 1;

    private final Store store;
    private final int rank;
    private final int size;
    private final String groupName;
    private final Duration timeout;
    private final long deadline;

    TcpConnector(Store store, int rank, int size, String groupName, Duration timeout) {
        this.store = store;
        this.rank = rank;
        this.size = size;
        this.groupName = groupName;
        this.timeout = timeout;
        this.deadline = System.nanoTime() + timeout.toNanos();
    }

    private long leftMs() {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    /** Channels to every peer (index = peer rank, null for this rank), handshakes done. */
    SocketChannel[] connect(String listenAddress) {
        SocketChannel[] peers = new SocketChannel[size];
        if (size == 1) return peers;
        AtomicReferenceArray<SocketChannel> accepted = new AtomicReferenceArray<>(size);
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getByName(listenAddress), 0), size);
            InetSocketAddress bound = (InetSocketAddress) listener.getLocalAddress();
            String host = bound.getAddress().isAnyLocalAddress() ? InetAddress.getLocalHost().getHostAddress() : bound.getAddress().getHostAddress();
            String me = host + ":" + bound.getPort();
            long nonce = agreeOnNonce();
            store.set("addr/" + rank, me);

            int expected = size - 1 - rank;
            Thread acceptor = Thread.ofPlatform().daemon().name("ddp4j-tcp-accept-" + groupName + "-rank" + rank)
                    .start(() -> acceptLoop(listener, expected, nonce, accepted));
            try {
                for (int p = 0; p < rank; p++) peers[p] = dial(p, nonce);
                acceptor.join(leftMs());
            } finally {
                listener.close(); // ends the acceptor if it is still waiting
                acceptor.join(2000);
            }
            List<Integer> missing = new ArrayList<>();
            for (int p = rank + 1; p < size; p++) {
                peers[p] = accepted.get(p);
                if (peers[p] == null) missing.add(p);
            }
            if (!missing.isEmpty()) {
                closeAll(peers);
                throw new DistributedTimeoutException("group '" + groupName + "': timed out after " + Durations.format(timeout) + " waiting for ranks "
                        + missing + " to connect to rank " + rank + " at " + me + " (are they running, and can they reach this address?)");
            }
            return peers;
        } catch (IOException e) {
            closeAll(peers);
            throw new DistributedException("group '" + groupName + "': rank " + rank + " cannot listen on " + listenAddress + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeAll(peers);
            throw new DistributedException("group '" + groupName + "': interrupted while connecting rank " + rank, e);
        } catch (RuntimeException e) {
            closeAll(peers);
            for (int p = 0; p < size; p++) closeQuietly(accepted.get(p));
            throw e;
        }
    }

    /** The first rank to publish a nonce wins; everyone uses the stored one. */
    private long agreeOnNonce() {
        String mine = Long.toString(new SecureRandom().nextLong());
        byte[] stored = store.compareSet("nonce", new byte[0], mine.getBytes(StandardCharsets.US_ASCII));
        return Long.parseLong(new String(stored, StandardCharsets.US_ASCII));
    }

    private SocketChannel dial(int peer, long nonce) {
        String addr = store.getString("addr/" + peer, Duration.ofMillis(leftMs()));
        int colon = addr.lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(addr.substring(0, colon), Integer.parseInt(addr.substring(colon + 1)));
        IOException last = null;
        while (System.nanoTime() < deadline) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open();
                ch.socket().connect(target, (int) Math.min(leftMs(), 5000));
                configure(ch);
                ch.write(hello(nonce));
                ch.socket().setSoTimeout((int) leftMs());
                DataInputStream in = new DataInputStream(ch.socket().getInputStream());
                byte status = in.readByte();
                if (status != OK) {
                    byte[] msg = new byte[Math.min(4096, Math.max(0, in.readInt()))];
                    in.readFully(msg);
                    closeQuietly(ch);
                    throw new DistributedException("group '" + groupName + "': rank " + peer + " at " + addr + " refused rank " + rank + ": "
                            + new String(msg, StandardCharsets.UTF_8));
                }
                ch.socket().setSoTimeout(0);
                return ch;
            } catch (IOException e) {
                last = e;
                closeQuietly(ch);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new DistributedTimeoutException("group '" + groupName + "': rank " + rank + " timed out after " + Durations.format(timeout)
                + " connecting to rank " + peer + " at " + addr + " (last error: " + (last == null ? "none" : last.getMessage()) + ")", last);
    }

    private ByteBuffer hello(long nonce) {
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + 8 + 4 + 4 + 1);
        b.putInt(MAGIC).putShort(VERSION).putLong(nonce).putInt(size).putInt(rank)
                .put((byte) (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 1 : 0));
        return b.flip();
    }

    private void acceptLoop(ServerSocketChannel listener, int expected, long nonce, AtomicReferenceArray<SocketChannel> accepted) {
        int got = 0;
        while (got < expected) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (IOException e) {
                return; // the listener was closed: time is up, the caller reports who is missing
            }
            try {
                configure(ch);
                ch.socket().setSoTimeout((int) leftMs());
                DataInputStream in = new DataInputStream(ch.socket().getInputStream());
                int magic = in.readInt();
                if (magic != MAGIC) {
                    closeQuietly(ch); // not a ddp4j peer
                    continue;
                }
                short version = in.readShort();
                long theirNonce = in.readLong();
                int theirSize = in.readInt();
                int theirRank = in.readInt();
                boolean little = in.readByte() == 1;
                String refusal = null;
                if (version != VERSION) refusal = "protocol version " + version + " (this rank speaks " + VERSION + ")";
                else if (theirNonce != nonce) refusal = "it belongs to another job or group (nonce mismatch)";
                else if (theirSize != size) refusal = "it thinks the group has " + theirSize + " ranks, this rank thinks " + size;
                else if (theirRank <= rank || theirRank >= size) refusal = "rank " + theirRank + " should not connect to rank " + rank;
                else if (accepted.get(theirRank) != null) refusal = "rank " + theirRank + " is already connected (two processes with the same rank?)";
                else if (little != (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN)) refusal = "its byte order differs from this rank's";
                if (refusal != null) {
                    byte[] msg = refusal.getBytes(StandardCharsets.UTF_8);
                    ch.write(ByteBuffer.allocate(5 + msg.length).put(REFUSED).putInt(msg.length).put(msg).flip());
                    closeQuietly(ch);
                    continue;
                }
                ch.write(ByteBuffer.wrap(new byte[] {OK}));
                ch.socket().setSoTimeout(0);
                accepted.set(theirRank, ch);
                got++;
            } catch (IOException e) {
                closeQuietly(ch);
            }
        }
    }

    private static void configure(SocketChannel ch) throws IOException {
        ch.socket().setTcpNoDelay(true);
        ch.socket().setKeepAlive(true);
    }

    private static void closeAll(SocketChannel[] chs) {
        for (SocketChannel c : chs) closeQuietly(c);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // giving up on this connection anyway
        }
    }
}
