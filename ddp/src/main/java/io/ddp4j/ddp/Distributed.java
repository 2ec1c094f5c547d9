package io.ddp4j.ddp;

import io.ddp4j.ddp.env.ClusterEnvironments;
import io.ddp4j.ddp.env.ClusterInfo;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.store.FileStore;
import io.ddp4j.ddp.store.PrefixStore;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.ddp.store.TCPStore;

import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A process's membership in a distributed job: its rank, the shared store, the default group
 * and any sub-groups. PyTorch keeps this in module globals; here it is an object, so several
 * ranks can live in one JVM (tests, DataParallel-style runs) and {@link #close()} (PyTorch's
 * {@code destroy_process_group}) has a clear owner.
 *
 * <pre>{@code
 * try (Distributed dist = Distributed.init(InitOptions.fromEnv())) {
 *     dist.group().allReduce(grads, ReduceOp.AVG).await();
 * }
 * }</pre>
 */
public final class Distributed implements AutoCloseable {
    public static final String STORE_BIND_ENV = "DDP4J_STORE_BIND";
    public static final String LISTEN_ADDR_ENV = "DDP4J_LISTEN_ADDR";
    public static final String SOCKET_IFNAME_ENV = "DDP4J_SOCKET_IFNAME";
    /** Set by the launcher when it hosts the store itself: then rank 0 is a client too. */
    public static final String LAUNCHER_STORE_ENV = "DDP4J_LAUNCHER_STORE";
    public static final String RESTART_COUNT_ENV = "DDP4J_RESTART_COUNT";

    private final InitOptions options;
    private final ClusterInfo cluster;
    private final Store ownedStore;
    private final Store store;
    private final String listenAddress;
    private final ProcessGroup world;
    private final List<ProcessGroup> subGroups = new ArrayList<>();
    private int groupsCreated;
    private boolean closed;

    private Distributed(InitOptions options, ClusterInfo cluster, Store ownedStore, Store store, String listenAddress) {
        this.options = options;
        this.cluster = cluster;
        this.ownedStore = ownedStore;
        this.store = store;
        this.listenAddress = listenAddress;
        try {
            checkMembership();
            this.world = createGroup(allRanks(), cluster.rank(), "world");
        } catch (RuntimeException e) {
            if (ownedStore != null) ownedStore.close();
            throw e;
        }
    }

    /** Joins the job: rendezvous through the store, then connects the default group. */
    public static Distributed init(InitOptions o) {
        ClusterInfo info = resolve(o);
        String token = o.env().get(TCPStore.TOKEN_ENV);
        Store owned = null;
        Store store;
        if (o.store() != null) {
            store = o.store();
        } else if (o.initMethod().startsWith("file://")) {
            owned = new FileStore(Path.of(URI.create(o.initMethod())), o.timeout());
            store = owned;
        } else {
            boolean launcherHosts = "1".equals(o.env().get(LAUNCHER_STORE_ENV));
            if (info.rank() == 0 && !launcherHosts) {
                owned = TCPStore.host(o.env().getOrDefault(STORE_BIND_ENV, info.masterAddr()), info.masterPort(), o.timeout(), token);
            } else {
                owned = TCPStore.connect(info.masterAddr(), info.masterPort(), o.timeout(), token);
            }
            store = owned;
        }
        String attempt = o.env().get(RESTART_COUNT_ENV);
        if (attempt != null && o.store() == null) store = new PrefixStore("attempt/" + attempt, store);
        try {
            return new Distributed(o, info, owned, store, listenAddress(o, info));
        } catch (RuntimeException e) {
            if (owned != null) owned.close();
            throw e;
        }
    }

    /** Rank, world and master from the options or, for env://, from the detected cluster. */
    private static ClusterInfo resolve(InitOptions o) {
        if (o.store() == null && o.initMethod().startsWith("env://")) {
            ClusterInfo info = ClusterEnvironments.detect(o.env());
            if (!info.perProcess()) {
                throw new IllegalArgumentException(info.environment() + " starts one process per node with " + info.localWorldSize()
                        + " GPUs; start the workers with ddp4j run --nproc-per-node " + info.localWorldSize() + " (see ddp/CLUSTERS.md)");
            }
            if (o.rank() >= 0) {
                return new ClusterInfo(info.environment(), o.rank(), o.worldSize(), 0, 1, 0, 1, info.masterAddr(), info.masterPort());
            }
            return info;
        }
        String host = "127.0.0.1";
        int port = 1;
        if (o.store() == null && o.initMethod().startsWith("tcp://")) {
            URI u = URI.create(o.initMethod());
            if (u.getHost() == null || u.getPort() < 0) throw new IllegalArgumentException("init method '" + o.initMethod() + "' must look like tcp://host:port");
            host = u.getHost();
            port = u.getPort();
        } else if (o.store() == null && !o.initMethod().startsWith("file://")) {
            throw new IllegalArgumentException("unknown init method '" + o.initMethod() + "': expected env://, tcp://host:port or file:///path");
        }
        return new ClusterInfo("explicit", o.rank(), o.worldSize(), 0, 1, 0, 1, host, port);
    }

    /** Peers must reach this address: an explicit one, an interface by name, or the route to the master. */
    private static String listenAddress(InitOptions o, ClusterInfo info) {
        if (o.listenAddress() != null) return o.listenAddress();
        String explicit = o.env().get(LISTEN_ADDR_ENV);
        if (explicit != null && !explicit.isBlank()) return explicit.trim();
        String ifname = o.env().get(SOCKET_IFNAME_ENV);
        try {
            if (ifname != null && !ifname.isBlank()) {
                NetworkInterface nif = NetworkInterface.getByName(ifname.trim());
                if (nif == null) throw new IllegalArgumentException(SOCKET_IFNAME_ENV + "=" + ifname + ": no such network interface");
                for (InetAddress a : Collections.list(nif.getInetAddresses())) if (a instanceof Inet4Address) return a.getHostAddress();
                throw new IllegalArgumentException(SOCKET_IFNAME_ENV + "=" + ifname + ": the interface has no IPv4 address");
            }
            InetAddress master = InetAddress.getByName(info.masterAddr());
            if (master.isLoopbackAddress() || info.worldSize() == 1) return "127.0.0.1";
            // the local address the kernel would use to reach the master (a UDP connect sends nothing)
            try (DatagramSocket probe = new DatagramSocket()) {
                probe.connect(master, Math.max(1, info.masterPort()));
                InetAddress local = probe.getLocalAddress();
                return local.isAnyLocalAddress() ? InetAddress.getLocalHost().getHostAddress() : local.getHostAddress();
            }
        } catch (java.io.IOException e) {
            throw new DistributedException("cannot choose the address to listen on for peers (master " + info.masterAddr() + "): " + e.getMessage()
                    + "; set " + LISTEN_ADDR_ENV + " or " + SOCKET_IFNAME_ENV, e);
        }
    }

    /** Cheap checks that catch launch mistakes before they become hangs. */
    private void checkMembership() {
        byte[] mine = Integer.toString(cluster.worldSize()).getBytes(StandardCharsets.US_ASCII);
        byte[] agreed = store.compareSet("world_size", new byte[0], mine);
        if (!java.util.Arrays.equals(agreed, mine)) {
            throw new DistributedException("rank " + cluster.rank() + " was started with world size " + cluster.worldSize()
                    + " but another rank registered world size " + new String(agreed, StandardCharsets.US_ASCII) + " in " + store);
        }
        long claims = store.add("rank_claims/" + cluster.rank(), 1);
        if (claims > 1) {
            throw new DistributedException("two processes claim rank " + cluster.rank() + " in " + store + "; check RANK / the launcher's --node-rank");
        }
    }

    private List<Integer> allRanks() {
        List<Integer> all = new ArrayList<>();
        for (int r = 0; r < cluster.worldSize(); r++) all.add(r);
        return all;
    }

    private ProcessGroup createGroup(List<Integer> ranks, int groupRank, String name) {
        int id = groupsCreated++;
        return Backends.get(options.backend()).create(new Backends.GroupSpec(new PrefixStore("pg/" + id, store), groupRank, ranks.size(), ranks, name,
                options.timeout(), listenAddress, options.env()));
    }

    public int rank() {
        return cluster.rank();
    }

    public int worldSize() {
        return cluster.worldSize();
    }

    public int localRank() {
        return cluster.localRank();
    }

    public int localWorldSize() {
        return cluster.localWorldSize();
    }

    /** Where this process stands, as detected (or given). */
    public ClusterInfo cluster() {
        return cluster;
    }

    public Store store() {
        return store;
    }

    /** The default group of all ranks. */
    public ProcessGroup group() {
        if (closed) throw new IllegalStateException("Distributed on rank " + rank() + " is destroyed");
        return world;
    }

    /**
     * A group of some ranks. Every rank of the job must call this, in the same order, with the
     * same ranks (as with PyTorch's new_group); ranks outside get an empty Optional.
     */
    public synchronized Optional<ProcessGroup> newGroup(List<Integer> ranks) {
        if (closed) throw new IllegalStateException("Distributed on rank " + rank() + " is destroyed");
        TreeSet<Integer> sorted = new TreeSet<>(ranks);
        if (sorted.size() != ranks.size()) throw new IllegalArgumentException("newGroup ranks " + ranks + " contain duplicates");
        if (sorted.isEmpty() || sorted.first() < 0 || sorted.last() >= worldSize()) {
            throw new IllegalArgumentException("newGroup ranks " + ranks + " must be a non-empty subset of 0.." + (worldSize() - 1));
        }
        List<Integer> members = List.copyOf(sorted);
        int index = members.indexOf(rank());
        if (index < 0) {
            groupsCreated++; // keep group numbering identical on every rank
            return Optional.empty();
        }
        ProcessGroup g = createGroup(members, index, "group" + groupsCreated + members);
        subGroups.add(g);
        return Optional.of(g);
    }

    /** PyTorch's destroy_process_group: closes every group, then the store this object opened. */
    public void destroy() {
        close();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            for (ProcessGroup g : subGroups) g.close();
            world.close();
        } finally {
            if (ownedStore != null) ownedStore.close();
        }
    }

    @Override
    public String toString() {
        return "Distributed[rank " + rank() + " of " + worldSize() + ", " + cluster.environment() + ", " + options.backend() + "]";
    }

    /** Convenience for logs and {@code ddp4j info}: the backends line. */
    public static String backendsLine() {
        return String.join(", ", Backends.names());
    }

}
