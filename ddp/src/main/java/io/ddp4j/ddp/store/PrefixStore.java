package io.ddp4j.ddp.store;

import java.time.Duration;
import java.util.List;

/**
 * A view of another store where every key is {@code prefix + "/" + key}: process groups and
 * restarts get their own key space in one shared store. Closing it leaves the inner store open,
 * because the inner store is shared and has its own owner.
 */
public final class PrefixStore implements Store {
    private final String prefix;
    private final Store inner;

    public PrefixStore(String prefix, Store inner) {
        if (prefix == null || prefix.isEmpty()) throw new IllegalArgumentException("a PrefixStore needs a non-empty prefix");
        if (inner == null) throw new IllegalArgumentException("a PrefixStore needs an inner store");
        this.prefix = prefix + "/";
        this.inner = inner;
    }

    private String k(String key) {
        return prefix + key;
    }

    private List<String> k(List<String> keys) {
        return keys.stream().map(this::k).toList();
    }

    public Store inner() {
        return inner;
    }

    @Override
    public void set(String key, byte[] value) {
        inner.set(k(key), value);
    }

    @Override
    public byte[] get(String key, Duration timeout) {
        return inner.get(k(key), timeout);
    }

    @Override
    public long add(String key, long delta) {
        return inner.add(k(key), delta);
    }

    @Override
    public byte[] compareSet(String key, byte[] expected, byte[] desired) {
        return inner.compareSet(k(key), expected, desired);
    }

    @Override
    public boolean delete(String key) {
        return inner.delete(k(key));
    }

    @Override
    public void wait(List<String> keys, Duration timeout) {
        inner.wait(k(keys), timeout);
    }

    @Override
    public boolean check(List<String> keys) {
        return inner.check(k(keys));
    }

    @Override
    public long numKeys() {
        return inner.numKeys();
    }

    @Override
    public Duration timeout() {
        return inner.timeout();
    }

    @Override
    public void close() {
        // the inner store belongs to whoever created it
    }

    @Override
    public String toString() {
        return inner + " (prefix '" + prefix + "')";
    }
}
