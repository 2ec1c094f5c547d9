package io.ddp4j.ddp;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.ddp.pg.tcp.TcpProcessGroup;
import io.ddp4j.ddp.store.Store;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Process-group backends by name. "tcp" is built in; the NCCL and MPI backends register here
 * so {@link Distributed} needs no change to use them.
 */
public final class Backends {
    /** Everything a backend needs to build one member of a group. */
    public record GroupSpec(Store store, int rank, int size, List<Integer> globalRanks, String name, Duration timeout,
                            String listenAddress, Map<String, String> env) {}

    @FunctionalInterface
    public interface Factory {
        ProcessGroup create(GroupSpec spec);
    }

    private static final Map<String, Factory> FACTORIES = new ConcurrentHashMap<>();

    static {
        register("tcp", s -> TcpProcessGroup.create(s.store(), s.rank(), s.size(), s.globalRanks(), s.name(),
                TcpOptions.defaults(s.timeout()).withListenAddress(s.listenAddress())));
        register("mpi", Backends::mpiGroup);
        // always registered, so a machine without NCCL or a GPU gets NcclProcessGroup's explanation, not "unknown backend"
        register("nccl", io.ddp4j.ddp.pg.nccl.NcclProcessGroup::create);
    }

    /**
     * MPI_COMM_WORLD of the job mpirun started, or a communicator over some of its ranks; either
     * must agree with the rank and size ddp4j was given.
     */
    private static ProcessGroup mpiGroup(GroupSpec s) {
        io.ddp4j.bindings.mpi.Mpi.library().require();
        // the first group made is the world (it initialises MPI); later ones are subgroups of it
        boolean world = !io.ddp4j.bindings.mpi.Mpi.MPI_Initialized();
        var pg = world ? io.ddp4j.ddp.pg.mpi.MpiProcessGroup.world(s.timeout())
                : io.ddp4j.ddp.pg.mpi.MpiProcessGroup.subgroup(s.globalRanks(), Math.floorMod(s.name().hashCode(), 32768), s.timeout());
        if (pg.rank() != s.rank() || pg.size() != s.size()) {
            pg.close();
            throw new IllegalStateException("mpirun made this process rank " + pg.rank() + " of " + pg.size()
                    + " but ddp4j was told rank " + s.rank() + " of " + s.size() + ": start mpi jobs with mpirun and let ddp4j read OMPI_COMM_WORLD_*");
        }
        return pg;
    }

    private Backends() {}

    public static void register(String name, Factory factory) {
        FACTORIES.put(name, factory);
    }

    /** Names of the registered backends, sorted: what {@code ddp4j info} lists. */
    public static List<String> names() {
        return List.copyOf(new TreeMap<>(FACTORIES).keySet());
    }

    static Factory get(String name) {
        Factory f = FACTORIES.get(name);
        if (f == null) throw new IllegalArgumentException("unknown backend '" + name + "'; available: " + names());
        return f;
    }
}
