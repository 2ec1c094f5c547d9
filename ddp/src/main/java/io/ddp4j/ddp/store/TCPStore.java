package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A client of a {@link TCPStoreServer}, and optionally the owner of that server (the rank or
 * launcher that hosts it). One socket, one request at a time (methods are synchronized): a
 * rank's store traffic is rendezvous and bookkeeping, never a hot path.
 *
 * <pre>{@code
 * try (TCPStore store = TCPStore.host("127.0.0.1", 29500, Duration.ofSeconds(30), token)) { ... }   // rank 0
 * try (TCPStore store = TCPStore.connect("node01", 29500, Duration.ofSeconds(30), token)) { ... }   // others
 * }</pre>
 */
public final class TCPStore implements Store {
    /** The environment variable ranks and the launcher read the shared secret from. */
    public static final String TOKEN_ENV = "DDP4J_STORE_TOKEN";

    private static final Duration ANSWER_GRACE = Duration.ofSeconds(10);

    private final String host;
    private final int port;
    private final Duration timeout;
    private final TCPStoreServer ownedServer;
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private boolean closed;

    private TCPStore(String host, int port, Duration timeout, TCPStoreServer ownedServer, Socket socket) throws IOException {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
        this.ownedServer = ownedServer;
        this.socket = socket;
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
    }

    /**
     * Connects to a store server, retrying until {@code timeout} while it is not up yet (ranks
     * often start before rank 0 has bound its port). A refused token fails at once.
     */
    public static TCPStore connect(String host, int port, Duration timeout, String token) {
        return connect(host, port, timeout, token, null);
    }

    /** Starts a server on {@code bindHost:port} (port 0: any free port) and connects to it. */
    public static TCPStore host(String bindHost, int port, Duration timeout, String token) {
        TCPStoreServer server = TCPStoreServer.start(bindHost, port, token);
        try {
            String connectHost = server.bindAddress().isAnyLocalAddress() ? "127.0.0.1" : server.bindAddress().getHostAddress();
            return connect(connectHost, server.port(), timeout, token, server);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static TCPStore connect(String host, int port, Duration timeout, String token, TCPStoreServer owned) {
        Durations.requirePositive(timeout, "store timeout");
        if (host == null || host.isBlank()) throw new IllegalArgumentException("store host is empty (set MASTER_ADDR)");
        if (port <= 0 || port > 65535) throw new IllegalArgumentException("store port must be in 1..65535, got " + port + " (set MASTER_PORT)");
        long deadline = System.nanoTime() + timeout.toNanos();
        long backoffMs = 20;
        IOException last = null;
        while (true) {
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (leftMs <= 0) break;
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), (int) Math.min(leftMs, 5000));
                s.setTcpNoDelay(true);
                TCPStore store = new TCPStore(host, port, timeout, owned, s);
                store.handshake(token);
                return store;
            } catch (IOException e) {
                last = e;
                closeQuietly(s);
            } catch (RuntimeException e) {
                closeQuietly(s);
                throw e;
            }
            try {
                Thread.sleep(Math.min(backoffMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DistributedException("interrupted while connecting to the store at " + host + ":" + port, e);
            }
            backoffMs = Math.min(backoffMs * 2, 500);
        }
        throw new DistributedTimeoutException("timed out after " + Durations.format(timeout) + " connecting to the store at "
                + host + ":" + port + " (last error: " + (last == null ? "none" : last.getMessage())
                + "); is rank 0 or the launcher up, and are MASTER_ADDR/MASTER_PORT right?", last);
    }

    private void handshake(String token) throws IOException {
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        out.writeInt(StoreProtocol.MAGIC);
        out.writeShort(StoreProtocol.VERSION);
        StoreProtocol.writeBytes(out, token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8));
        out.flush();
        byte status = StoreProtocol.readStatus(in);
        if (status != StoreProtocol.OK) {
            throw new DistributedException("the store at " + host + ":" + port + " refused this client: " + StoreProtocol.readMessage(in));
        }
    }

    /** The server this store started, or null when it is only a client. */
    public TCPStoreServer server() {
        return ownedServer;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    /** One request/response round trip; {@code waitMs} is how long the server may legitimately block. */
    private interface Exchange<T> {
        T run() throws IOException;
    }

    private synchronized <T> T call(String what, long waitMs, Exchange<T> exchange) {
        if (closed) throw new IllegalStateException("store " + this + " is closed (" + what + ")");
        try {
            long answerMs = Math.max(waitMs, timeout.toMillis()) + ANSWER_GRACE.toMillis();
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, answerMs));
            return exchange.run();
        } catch (SocketTimeoutException e) {
            throw new DistributedTimeoutException("the store at " + host + ":" + port + " did not answer " + what + " in time", e);
        } catch (IOException e) {
            throw new DistributedException("lost the connection to the store at " + host + ":" + port + " during " + what
                    + ": " + e.getMessage() + " (did the rank or launcher hosting it exit?)", e);
        }
    }

    private void expectOk(String what) throws IOException {
        byte status = StoreProtocol.readStatus(in);
        if (status == StoreProtocol.ERROR) throw new DistributedException("store " + what + " failed: " + StoreProtocol.readMessage(in));
        if (status != StoreProtocol.OK) throw new IOException("unexpected store status " + status + " for " + what);
    }

    @Override
    public void set(String key, byte[] value) {
        call("set('" + key + "')", 0, () -> {
            out.writeByte(StoreProtocol.SET);
            StoreProtocol.writeString(out, key);
            StoreProtocol.writeBytes(out, value);
            out.flush();
            expectOk("set('" + key + "')");
            return null;
        });
    }

    @Override
    public byte[] get(String key, Duration timeout) {
        Durations.requirePositive(timeout, "get timeout");
        String what = "get('" + key + "')";
        return call(what, timeout.toMillis(), () -> {
            out.writeByte(StoreProtocol.GET);
            StoreProtocol.writeString(out, key);
            out.writeLong(timeout.toMillis());
            out.flush();
            byte status = StoreProtocol.readStatus(in);
            if (status == StoreProtocol.TIMEOUT) {
                throw new DistributedTimeoutException("timed out after " + Durations.format(timeout) + " waiting for key '" + key
                        + "' in the store at " + host + ":" + port);
            }
            if (status != StoreProtocol.OK) throw new IOException("unexpected store status " + status + " for " + what);
            return StoreProtocol.readBytes(in, StoreProtocol.MAX_VALUE_BYTES, "value");
        });
    }

    @Override
    public long add(String key, long delta) {
        String what = "add('" + key + "', " + delta + ")";
        return call(what, 0, () -> {
            out.writeByte(StoreProtocol.ADD);
            StoreProtocol.writeString(out, key);
            out.writeLong(delta);
            out.flush();
            expectOk(what);
            return in.readLong();
        });
    }

    @Override
    public byte[] compareSet(String key, byte[] expected, byte[] desired) {
        String what = "compareSet('" + key + "')";
        return call(what, 0, () -> {
            out.writeByte(StoreProtocol.COMPARE_SET);
            StoreProtocol.writeString(out, key);
            StoreProtocol.writeBytes(out, expected);
            StoreProtocol.writeBytes(out, desired);
            out.flush();
            expectOk(what);
            return StoreProtocol.readBytes(in, StoreProtocol.MAX_VALUE_BYTES, "value");
        });
    }

    @Override
    public boolean delete(String key) {
        String what = "delete('" + key + "')";
        return call(what, 0, () -> {
            out.writeByte(StoreProtocol.DELETE);
            StoreProtocol.writeString(out, key);
            out.flush();
            expectOk(what);
            return in.readBoolean();
        });
    }

    @Override
    public void wait(List<String> keys, Duration timeout) {
        Durations.requirePositive(timeout, "wait timeout");
        String what = "wait(" + keys + ")";
        call(what, timeout.toMillis(), () -> {
            out.writeByte(StoreProtocol.WAIT);
            StoreProtocol.writeKeys(out, keys);
            out.writeLong(timeout.toMillis());
            out.flush();
            byte status = StoreProtocol.readStatus(in);
            if (status == StoreProtocol.TIMEOUT) {
                List<String> missing = StoreProtocol.readKeys(in);
                throw new DistributedTimeoutException("timed out after " + Durations.format(timeout) + " waiting for keys " + keys
                        + " in the store at " + host + ":" + port + "; still missing: " + missing);
            }
            if (status != StoreProtocol.OK) throw new IOException("unexpected store status " + status + " for " + what);
            return null;
        });
    }

    @Override
    public boolean check(List<String> keys) {
        String what = "check(" + keys + ")";
        return call(what, 0, () -> {
            out.writeByte(StoreProtocol.CHECK);
            StoreProtocol.writeKeys(out, keys);
            out.flush();
            expectOk(what);
            return in.readBoolean();
        });
    }

    @Override
    public long numKeys() {
        return call("numKeys()", 0, () -> {
            out.writeByte(StoreProtocol.NUM_KEYS);
            out.flush();
            expectOk("numKeys()");
            return in.readLong();
        });
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closeQuietly(socket);
        if (ownedServer != null) ownedServer.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing or shutting down
        }
    }

    @Override
    public String toString() {
        return "tcp://" + host + ":" + port;
    }
}
