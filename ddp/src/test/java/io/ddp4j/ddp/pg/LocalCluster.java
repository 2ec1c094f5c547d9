package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.ddp.pg.tcp.TcpProcessGroup;
import io.ddp4j.ddp.store.PrefixStore;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.ddp.store.TCPStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** {@code size} ranks of a tcp group in one JVM, one thread per rank, over a real TCPStore. */
final class LocalCluster implements AutoCloseable {
    interface RankBody<T> {
        T run(int rank, ProcessGroup pg) throws Exception;
    }

    final int size;
    final List<TcpProcessGroup> groups;
    private final TCPStore host;
    private final List<Store> clients = new ArrayList<>();
    private final ExecutorService threads;

    LocalCluster(int size, TcpOptions options) throws Exception {
        this.size = size;
        this.threads = Executors.newFixedThreadPool(size);
        this.host = TCPStore.host(null, 0, Duration.ofSeconds(20), null);
        for (int r = 0; r < size; r++) clients.add(TCPStore.connect("127.0.0.1", host.port(), Duration.ofSeconds(20), null));
        List<Integer> ranks = IntStream.range(0, size).boxed().toList();
        this.groups = run((r, ignored) -> TcpProcessGroup.create(new PrefixStore("pg", clients.get(r)), r, size, ranks, "test", options), null);
    }

    <T> List<T> run(RankBody<T> body) throws Exception {
        return run(body, groups);
    }

    private <T> List<T> run(RankBody<T> body, List<? extends ProcessGroup> pgs) throws Exception {
        List<Future<T>> fs = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            int rank = r;
            fs.add(threads.submit(() -> body.run(rank, pgs == null ? null : pgs.get(rank))));
        }
        List<T> out = new ArrayList<>();
        for (Future<T> f : fs) {
            try {
                out.add(f.get(120, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception ex) throw ex;
                throw e;
            }
        }
        return out;
    }

    /** Like {@link #run} but returns each rank's failure (or null) instead of throwing the first. */
    List<Throwable> failures(RankBody<?> body) throws Exception {
        return run((r, pg) -> {
            try {
                body.run(r, pg);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
    }

    @Override
    public void close() throws Exception {
        run((r, pg) -> {
            pg.close();
            return null;
        });
        threads.shutdownNow();
        for (Store s : clients) s.close();
        host.close();
    }
}
