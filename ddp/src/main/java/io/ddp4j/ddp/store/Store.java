package io.ddp4j.ddp.store;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A small key-value store that every rank of a job can reach: the rendezvous point where ranks
 * publish their addresses and count arrivals. Same operations as PyTorch's {@code c10d::Store}.
 * Every blocking call is bounded by a timeout and fails with a
 * {@link io.ddp4j.ddp.DistributedTimeoutException} naming the keys it waited for.
 */
public interface Store extends AutoCloseable {

    /** Stores {@code value} under {@code key}, replacing what was there, and wakes waiters on it. */
    void set(String key, byte[] value);

    /** The value of {@code key}, waiting up to {@code timeout} for some rank to set it. */
    byte[] get(String key, Duration timeout);

    /**
     * Adds {@code delta} to the integer stored under {@code key} (a missing key counts as 0) and
     * returns the new value. Values are kept as decimal text, like PyTorch's stores.
     */
    long add(String key, long delta);

    /**
     * Atomically: if {@code key} holds {@code expected} (or is missing and {@code expected} is
     * empty), stores {@code desired}. Returns the value held after the operation; a missing key
     * reads as an empty array.
     */
    byte[] compareSet(String key, byte[] expected, byte[] desired);

    /** Removes {@code key}; true when it existed. */
    boolean delete(String key);

    /** Waits until every key exists; the timeout error lists the keys still missing. */
    void wait(List<String> keys, Duration timeout);

    /** True when every key exists, without waiting. */
    boolean check(List<String> keys);

    /** Number of keys in the store (all prefixes). */
    long numKeys();

    /** The default timeout of {@link #get(String)} and {@link #wait(List)}. */
    Duration timeout();

    @Override
    void close();

    default byte[] get(String key) {
        return get(key, timeout());
    }

    default void wait(List<String> keys) {
        wait(keys, timeout());
    }

    default void set(String key, String value) {
        set(key, value.getBytes(StandardCharsets.UTF_8));
    }

    default String getString(String key) {
        return new String(get(key), StandardCharsets.UTF_8);
    }

    default String getString(String key, Duration timeout) {
        return new String(get(key, timeout), StandardCharsets.UTF_8);
    }
}
