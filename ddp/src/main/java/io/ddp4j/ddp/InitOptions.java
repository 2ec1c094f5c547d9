package io.ddp4j.ddp;

import io.ddp4j.ddp.store.Store;

import java.time.Duration;
import java.util.Map;

/**
 * How {@link Distributed#init} finds its peers.
 *
 * @param backend       "tcp" (CPU); GPU backends register themselves in {@link Backends}
 * @param initMethod    "env://", "tcp://host:port" or "file:///path"; ignored when {@code store} is given
 * @param store         an explicit store shared by all ranks (not closed by Distributed), or null
 * @param rank          this process's rank; -1 to read it from the environment (env:// only)
 * @param worldSize     number of ranks; -1 to read it from the environment (env:// only)
 * @param timeout       bound of rendezvous and of every collective's waits
 * @param env           the environment to read (System.getenv() in real runs, a map in tests)
 * @param listenAddress address this rank listens on for peers; null: DDP4J_LISTEN_ADDR, then the
 *                      interface that routes to MASTER_ADDR (loopback for a single host)
 */
public record InitOptions(String backend, String initMethod, Store store, int rank, int worldSize, Duration timeout,
                          Map<String, String> env, String listenAddress) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    public InitOptions {
        Durations.requirePositive(timeout, "timeout");
        if (backend == null || backend.isBlank()) throw new IllegalArgumentException("backend is empty (expected e.g. \"tcp\")");
        env = Map.copyOf(env);
        if (store == null && (initMethod == null || initMethod.isBlank())) throw new IllegalArgumentException("give an init method (env://, tcp://, file://) or a store");
        if ((rank < 0) != (worldSize < 0)) throw new IllegalArgumentException("give both rank and world size, or neither (got rank " + rank + ", world size " + worldSize + ")");
        if (worldSize == 0 || worldSize < -1) throw new IllegalArgumentException("world size must be >= 1, got " + worldSize);
        if (worldSize > 0 && rank >= worldSize) throw new IllegalArgumentException("rank " + rank + " is outside 0.." + (worldSize - 1));
        boolean needsRank = store != null || !initMethod.startsWith("env://");
        if (needsRank && rank < 0) throw new IllegalArgumentException("rank and world size are needed with " + (store != null ? "an explicit store" : initMethod));
    }

    /** env:// with the process environment: what a worker started by {@code ddp4j run} or a cluster uses. */
    public static InitOptions fromEnv() {
        return fromEnv(System.getenv());
    }

    public static InitOptions fromEnv(Map<String, String> env) {
        return new InitOptions("tcp", "env://", null, -1, -1, DEFAULT_TIMEOUT, env, null);
    }

    /** "tcp://host:port" (rank 0 hosts the store there) or "file:///shared/path". */
    public static InitOptions url(String initMethod, int rank, int worldSize) {
        return new InitOptions("tcp", initMethod, null, rank, worldSize, DEFAULT_TIMEOUT, System.getenv(), null);
    }

    public static InitOptions withStore(Store store, int rank, int worldSize) {
        return new InitOptions("tcp", null, store, rank, worldSize, DEFAULT_TIMEOUT, System.getenv(), null);
    }

    public InitOptions withBackend(String b) {
        return new InitOptions(b, initMethod, store, rank, worldSize, timeout, env, listenAddress);
    }

    public InitOptions withTimeout(Duration t) {
        return new InitOptions(backend, initMethod, store, rank, worldSize, t, env, listenAddress);
    }

    public InitOptions withEnv(Map<String, String> e) {
        return new InitOptions(backend, initMethod, store, rank, worldSize, timeout, e, listenAddress);
    }

    public InitOptions withListenAddress(String a) {
        return new InitOptions(backend, initMethod, store, rank, worldSize, timeout, env, a);
    }
}
