package io.ddp4j.ddp.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The TCPStore server's state: a map plus one condition that every change signals, so waiters
 * for keys wake up and re-check. One lock is plenty: rendezvous traffic is a few keys per rank.
 */
final class KeyValueTable {
    private final Map<String, byte[]> map = new HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean closed;

    void set(String key, byte[] value) {
        lock.lock();
        try {
            map.put(key, value);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The value, or null when the key is still missing after {@code timeoutMs}. */
    byte[] get(String key, long timeoutMs) throws InterruptedException {
        lock.lock();
        try {
            return awaitKeys(List.of(key), timeoutMs).isEmpty() ? map.get(key) : null;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until all keys exist; returns the ones still missing when time ran out (empty: success). */
    List<String> await(List<String> keys, long timeoutMs) throws InterruptedException {
        lock.lock();
        try {
            return awaitKeys(keys, timeoutMs);
        } finally {
            lock.unlock();
        }
    }

    private List<String> awaitKeys(List<String> keys, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            List<String> missing = new ArrayList<>();
            for (String k : keys) if (!map.containsKey(k)) missing.add(k);
            if (missing.isEmpty() || closed) return missing;
            long left = deadline - System.nanoTime();
            if (left <= 0) return missing;
            changed.awaitNanos(left);
        }
    }

    long add(String key, long delta) {
        lock.lock();
        try {
            byte[] old = map.get(key);
            long value = Math.addExact(old == null ? 0 : parseLong(key, old), delta);
            map.put(key, Long.toString(value).getBytes(StandardCharsets.US_ASCII));
            changed.signalAll();
            return value;
        } finally {
            lock.unlock();
        }
    }

    static long parseLong(String key, byte[] value) {
        String s = new String(value, StandardCharsets.UTF_8);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("add on key '" + key + "': its value '" + s + "' is not an integer");
        }
    }

    byte[] compareSet(String key, byte[] expected, byte[] desired) {
        lock.lock();
        try {
            byte[] current = map.get(key);
            boolean matches = current == null ? expected.length == 0 : Arrays.equals(current, expected);
            if (matches) {
                map.put(key, desired);
                changed.signalAll();
                return desired;
            }
            return current == null ? new byte[0] : current;
        } finally {
            lock.unlock();
        }
    }

    boolean delete(String key) {
        lock.lock();
        try {
            boolean existed = map.remove(key) != null;
            if (existed) changed.signalAll();
            return existed;
        } finally {
            lock.unlock();
        }
    }

    boolean check(List<String> keys) {
        lock.lock();
        try {
            return keys.stream().allMatch(map::containsKey);
        } finally {
            lock.unlock();
        }
    }

    long size() {
        lock.lock();
        try {
            return map.size();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter; they return what is missing and their connections are then closed. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
