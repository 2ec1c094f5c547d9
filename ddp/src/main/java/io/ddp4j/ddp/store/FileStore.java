package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A store in one file that every process of a single-host job opens (or a shared filesystem,
 * where its locks work): an append-only log of {@code (key, value)} records, replayed into a map
 * under an exclusive file lock before each operation, like PyTorch's FileStore.
 *
 * <p>Record: int keyLength, key bytes, int valueLength (-1 for a delete), value bytes. Waits poll
 * the file with a short back-off, because files have no notifications that work across hosts.
 * The last user to close the store deletes the file, so the next job starts clean; a file left
 * by a crashed job must be removed by hand (or use a fresh path per job).
 */
public final class FileStore implements Store {
    private static final String USERS_KEY = "__ddp4j_filestore_users__";
    /** POSIX locks belong to a process, not a channel: threads of one JVM also take this lock. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path path;
    private final Duration timeout;
    private final FileChannel channel;
    private final ReentrantLock jvmLock;
    private final Map<String, byte[]> view = new HashMap<>();
    private long replayed;
    private boolean closed;

    public FileStore(Path path, Duration timeout) {
        this.timeout = Durations.requirePositive(timeout, "store timeout");
        this.path = path.toAbsolutePath().normalize();
        this.jvmLock = JVM_LOCKS.computeIfAbsent(this.path, p -> new ReentrantLock());
        try {
            Path parent = this.path.getParent();
            if (parent != null) Files.createDirectories(parent);
            this.channel = FileChannel.open(this.path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new DistributedException("cannot open the file store " + this.path + ": " + e.getMessage(), e);
        }
        add(USERS_KEY, 1);
    }

    public Path path() {
        return path;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    /** Runs {@code op} holding both locks, after replaying what other processes appended. */
    private <T> T locked(String what, Supplier<T> op) {
        jvmLock.lock();
        try {
            if (closed) throw new IllegalStateException("file store " + path + " is closed (" + what + ")");
            try (FileLock ignored = channel.lock()) {
                replay();
                return op.get();
            }
        } catch (IOException e) {
            throw new DistributedException("file store " + path + ": " + what + " failed: " + e.getMessage(), e);
        } finally {
            jvmLock.unlock();
        }
    }

    private void replay() throws IOException {
        long size = channel.size();
        while (replayed < size) {
            String key = new String(readExactly(readInt()), StandardCharsets.UTF_8);
            int n = readInt();
            if (n < 0) view.remove(key);
            else view.put(key, readExactly(n));
        }
    }

    private int readInt() throws IOException {
        return ByteBuffer.wrap(readExactly(4)).getInt();
    }

    private byte[] readExactly(int n) throws IOException {
        if (n < 0 || n > StoreProtocol.MAX_VALUE_BYTES) throw new IOException("corrupt record at offset " + replayed + " (length " + n + ")");
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, replayed + b.position()) < 0) throw new IOException("truncated record at offset " + replayed);
        }
        replayed += n;
        return b.array();
    }

    private void append(String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + k.length + (value == null ? 0 : value.length));
        b.putInt(k.length).put(k).putInt(value == null ? -1 : value.length);
        if (value != null) b.put(value);
        b.flip();
        try {
            long at = channel.size();
            while (b.hasRemaining()) at += channel.write(b, at);
            replayed = at;
        } catch (IOException e) {
            throw new DistributedException("file store " + path + ": cannot append key '" + key + "': " + e.getMessage(), e);
        }
        if (value == null) view.remove(key);
        else view.put(key, value);
    }

    @Override
    public void set(String key, byte[] value) {
        locked("set('" + key + "')", () -> {
            append(key, value.clone());
            return null;
        });
    }

    @Override
    public byte[] get(String key, Duration timeout) {
        waitFor(List.of(key), timeout, "key '" + key + "'");
        return locked("get('" + key + "')", () -> view.get(key).clone());
    }

    @Override
    public long add(String key, long delta) {
        return locked("add('" + key + "')", () -> addHoldingLock(key, delta));
    }

    private long addHoldingLock(String key, long delta) {
        byte[] old = view.get(key);
        long v;
        try {
            v = Math.addExact(old == null ? 0 : KeyValueTable.parseLong(key, old), delta);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new DistributedException("store add failed: " + e.getMessage());
        }
        append(key, Long.toString(v).getBytes(StandardCharsets.US_ASCII));
        return v;
    }

    @Override
    public byte[] compareSet(String key, byte[] expected, byte[] desired) {
        return locked("compareSet('" + key + "')", () -> {
            byte[] current = view.get(key);
            boolean matches = current == null ? expected.length == 0 : Arrays.equals(current, expected);
            if (matches) {
                append(key, desired.clone());
                return desired.clone();
            }
            return current == null ? new byte[0] : current.clone();
        });
    }

    @Override
    public boolean delete(String key) {
        return locked("delete('" + key + "')", () -> {
            if (!view.containsKey(key)) return false;
            append(key, null);
            return true;
        });
    }

    @Override
    public void wait(List<String> keys, Duration timeout) {
        waitFor(keys, timeout, "keys " + keys);
    }

    private void waitFor(List<String> keys, Duration timeout, String what) {
        Durations.requirePositive(timeout, "wait timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        long sleepMs = 1;
        while (true) {
            List<String> missing = locked("wait(" + keys + ")", () -> {
                List<String> m = new ArrayList<>();
                for (String k : keys) if (!view.containsKey(k)) m.add(k);
                return m;
            });
            if (missing.isEmpty()) return;
            if (System.nanoTime() >= deadline) {
                throw new DistributedTimeoutException("timed out after " + Durations.format(timeout) + " waiting for " + what
                        + " in the file store " + path + "; still missing: " + missing);
            }
            try {
                Thread.sleep(Math.min(sleepMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DistributedException("interrupted while waiting for " + what + " in the file store " + path, e);
            }
            sleepMs = Math.min(sleepMs * 2, 50);
        }
    }

    @Override
    public boolean check(List<String> keys) {
        return locked("check(" + keys + ")", () -> keys.stream().allMatch(view::containsKey));
    }

    @Override
    public long numKeys() {
        return locked("numKeys()", () -> (long) view.size() - (view.containsKey(USERS_KEY) ? 1 : 0));
    }

    /** Leaves the store; the last user deletes the file (while it still holds the lock). */
    @Override
    public void close() {
        jvmLock.lock();
        try {
            if (closed) return;
            locked("close()", () -> {
                long users = addHoldingLock(USERS_KEY, -1);
                if (users <= 0) {
                    try {
                        Files.deleteIfExists(path);
                    } catch (IOException e) {
                        throw new DistributedException("file store " + path + ": cannot delete it on close: " + e.getMessage(), e);
                    }
                }
                return null;
            });
        } finally {
            closed = true;
            try {
                channel.close();
            } catch (IOException ignored) {
                // the channel is unusable either way
            }
            jvmLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "file://" + path;
    }
}
