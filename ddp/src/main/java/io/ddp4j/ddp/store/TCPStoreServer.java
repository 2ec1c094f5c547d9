package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedException;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The server half of {@link TCPStore}: one listening socket, one virtual thread per client
 * connection. Blocking {@code get}/{@code wait} park that connection's virtual thread on the
 * table's condition, which costs nothing while waiting; a rendezvous of thousands of ranks is
 * a few thousand parked virtual threads.
 *
 * <p>It binds to exactly the address it is given (loopback when none is), never to all
 * interfaces unless asked with "0.0.0.0" or "::". When a token is set, a client must present the
 * same token in its handshake or it is refused before it can read or write a key.
 */
public final class TCPStoreServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TCPStoreServer.class.getName());

    private final ServerSocket listener;
    private final byte[] token;
    private final KeyValueTable table = new KeyValueTable();
    private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private TCPStoreServer(ServerSocket listener, byte[] token) {
        this.listener = listener;
        this.token = token;
        this.acceptor = Thread.ofPlatform().daemon().name("ddp4j-store-accept-" + port()).start(this::acceptLoop);
    }

    /**
     * Starts a server on {@code host:port}. {@code host} null or empty means loopback; port 0
     * picks a free port ({@link #port()} tells which). {@code token} null or empty means no token.
     */
    public static TCPStoreServer start(String host, int port, String token) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("store port must be in 0..65535, got " + port);
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(host == null || host.isEmpty() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new DistributedException("cannot resolve the store's bind address '" + host + "': " + e.getMessage(), e);
        }
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(address, 512);
            return new TCPStoreServer(s, token == null ? new byte[0] : token.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new DistributedException("cannot start the store server on " + address + ": " + e.getMessage()
                    + " (is another job using port " + port + "? pick another with MASTER_PORT / --master-port)", e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    public InetAddress bindAddress() {
        return listener.getInetAddress();
    }

    /** Reads a key without a client connection, for the launcher that hosts the server. */
    public byte[] getNow(String key) {
        try {
            return table.get(key, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = listener.accept();
                s.setTcpNoDelay(true);
                clients.add(s);
                if (closed) {
                    closeQuietly(s);
                    break;
                }
                Thread.ofVirtual().name("ddp4j-store-client-" + s.getRemoteSocketAddress()).start(() -> serve(s));
            } catch (IOException e) {
                if (!closed) LOG.log(Level.WARNING, "store server on port " + port() + ": accept failed", e);
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            var in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            var out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            if (!handshake(in, out)) return;
            while (!closed) {
                int op = in.read();
                if (op < 0) return; // client closed
                handle((byte) op, in, out);
                out.flush();
            }
        } catch (SocketException | java.io.EOFException e) {
            // the client went away; nothing to clean up beyond the socket
        } catch (IOException e) {
            if (!closed) LOG.log(Level.FINE, "store connection " + s.getRemoteSocketAddress() + " dropped", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            clients.remove(s);
        }
    }

    private boolean handshake(DataInputStream in, DataOutputStream out) throws IOException {
        int magic = in.readInt();
        if (magic != StoreProtocol.MAGIC) return false; // not a ddp4j client: drop it silently
        short version = in.readShort();
        byte[] presented = StoreProtocol.readBytes(in, StoreProtocol.MAX_TOKEN_BYTES, "token");
        String error = null;
        if (version != StoreProtocol.VERSION) {
            error = "store protocol version " + version + " is not supported by this server (it speaks " + StoreProtocol.VERSION + ")";
        } else if (token.length > 0 && !MessageDigest.isEqual(token, presented)) {
            error = "store token refused: the client's DDP4J_STORE_TOKEN " + (presented.length == 0 ? "is not set" : "does not match")
                    + " the server's on port " + port();
        }
        if (error != null) {
            out.writeByte(StoreProtocol.ERROR);
            StoreProtocol.writeString(out, error);
            out.flush();
            return false;
        }
        out.writeByte(StoreProtocol.OK);
        out.flush();
        return true;
    }

    private void handle(byte op, DataInputStream in, DataOutputStream out) throws IOException, InterruptedException {
        try {
            switch (op) {
                case StoreProtocol.SET -> {
                    String key = StoreProtocol.readKey(in);
                    table.set(key, StoreProtocol.readBytes(in, StoreProtocol.MAX_VALUE_BYTES, "value"));
                    out.writeByte(StoreProtocol.OK);
                }
                case StoreProtocol.GET -> {
                    String key = StoreProtocol.readKey(in);
                    byte[] v = table.get(key, in.readLong());
                    if (v == null) {
                        out.writeByte(StoreProtocol.TIMEOUT);
                    } else {
                        out.writeByte(StoreProtocol.OK);
                        StoreProtocol.writeBytes(out, v);
                    }
                }
                case StoreProtocol.ADD -> {
                    String key = StoreProtocol.readKey(in);
                    long v = table.add(key, in.readLong());
                    out.writeByte(StoreProtocol.OK);
                    out.writeLong(v);
                }
                case StoreProtocol.COMPARE_SET -> {
                    String key = StoreProtocol.readKey(in);
                    byte[] expected = StoreProtocol.readBytes(in, StoreProtocol.MAX_VALUE_BYTES, "value");
                    byte[] desired = StoreProtocol.readBytes(in, StoreProtocol.MAX_VALUE_BYTES, "value");
                    byte[] v = table.compareSet(key, expected, desired);
                    out.writeByte(StoreProtocol.OK);
                    StoreProtocol.writeBytes(out, v);
                }
                case StoreProtocol.DELETE -> {
                    boolean existed = table.delete(StoreProtocol.readKey(in));
                    out.writeByte(StoreProtocol.OK);
                    out.writeBoolean(existed);
                }
                case StoreProtocol.WAIT -> {
                    List<String> keys = StoreProtocol.readKeys(in);
                    List<String> missing = table.await(keys, in.readLong());
                    if (missing.isEmpty()) {
                        out.writeByte(StoreProtocol.OK);
                    } else {
                        out.writeByte(StoreProtocol.TIMEOUT);
                        StoreProtocol.writeKeys(out, missing);
                    }
                }
                case StoreProtocol.CHECK -> {
                    boolean all = table.check(StoreProtocol.readKeys(in));
                    out.writeByte(StoreProtocol.OK);
                    out.writeBoolean(all);
                }
                case StoreProtocol.NUM_KEYS -> {
                    out.writeByte(StoreProtocol.OK);
                    out.writeLong(table.size());
                }
                default -> throw new IOException("unknown store opcode " + op);
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            // a well-formed request the table cannot honour (add on a non-number, overflow)
            out.writeByte(StoreProtocol.ERROR);
            StoreProtocol.writeString(out, e.getMessage());
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        table.close();
        closeQuietly(listener);
        for (Socket s : clients) closeQuietly(s);
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing on the way out; the socket is gone either way
        }
    }

    @Override
    public String toString() {
        return "TCPStoreServer[" + listener.getInetAddress().getHostAddress() + ":" + port() + "]";
    }
}
