package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.local.LocalProcessGroup;
import io.ddp4j.ddp.pg.nccl.NcclProcessGroup;
import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.ddp.pg.tcp.TcpProcessGroup;
import io.ddp4j.ddp.store.PrefixStore;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.ddp.store.TCPStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** Runs one body per rank on its own thread, over an in-process group, a tcp group on loopback, or nccl with a GPU per rank. */
final class Ranks {
    interface Body<T> {
        T run(int rank, ProcessGroup pg) throws Exception;
    }

    private Ranks() {}

    static <T> List<T> local(int n, Duration timeout, Body<T> body) throws Exception {
        List<LocalProcessGroup> groups = LocalProcessGroup.create(n, timeout);
        try {
            return run(n, groups, body);
        } finally {
            groups.forEach(LocalProcessGroup::close);
        }
    }

    static <T> List<T> tcp(int n, Duration timeout, Body<T> body) throws Exception {
        try (TCPStore host = TCPStore.host(null, 0, Duration.ofSeconds(20), null)) {
            List<Store> clients = new ArrayList<>();
            for (int r = 0; r < n; r++) clients.add(TCPStore.connect("127.0.0.1", host.port(), Duration.ofSeconds(20), null));
            List<Integer> ranks = IntStream.range(0, n).boxed().toList();
            List<ProcessGroup> groups = run(n, null, (r, ignored) ->
                    TcpProcessGroup.create(new PrefixStore("pg", clients.get(r)), r, n, ranks, "test", TcpOptions.defaults(timeout)));
            try {
                return run(n, groups, body);
            } finally {
                run(n, groups, (r, pg) -> {
                    pg.close();
                    return null;
                });
                for (Store s : clients) s.close();
            }
        }
    }

    /** n ranks over nccl, rank r on cuda:r (one GPU per rank, as NCCL requires). */
    static <T> List<T> nccl(int n, Duration timeout, Body<T> body) throws Exception {
        try (TCPStore host = TCPStore.host(null, 0, Duration.ofSeconds(20), null)) {
            List<Store> clients = new ArrayList<>();
            for (int r = 0; r < n; r++) clients.add(TCPStore.connect("127.0.0.1", host.port(), Duration.ofSeconds(20), null));
            List<Integer> ranks = IntStream.range(0, n).boxed().toList();
            List<ProcessGroup> groups = run(n, null, (r, ignored) -> NcclProcessGroup.create(new PrefixStore("pg", clients.get(r)), r, n, ranks,
                    "test", timeout, Map.of(NcclProcessGroup.DEVICE_ENV, Integer.toString(r))));
            try {
                return run(n, groups, body);
            } finally {
                for (ProcessGroup pg : groups) pg.close();
                for (Store s : clients) s.close();
            }
        }
    }

    /** Each rank's failure, or null. */
    static List<Throwable> failures(List<? extends ProcessGroup> groups, Body<?> body) throws Exception {
        return run(groups.size(), groups, (r, pg) -> {
            try {
                body.run(r, pg);
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
    }

    static <T> List<T> run(int n, List<? extends ProcessGroup> groups, Body<T> body) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(n, r -> Thread.ofPlatform().daemon().unstarted(r));
        try {
            List<Future<T>> fs = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                fs.add(threads.submit(() -> body.run(rank, groups == null ? null : groups.get(rank))));
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
        } finally {
            threads.shutdownNow();
        }
    }
}
