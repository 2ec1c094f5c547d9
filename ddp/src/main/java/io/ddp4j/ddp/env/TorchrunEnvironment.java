package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * The variables {@code ddp4j run} and torchrun set for each worker: RANK, WORLD_SIZE, LOCAL_RANK,
 * LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, and GROUP_RANK/NODE_RANK for the node. Also reads
 * a plain "RANK and WORLD_SIZE" setup, with one process per node when LOCAL_RANK is absent.
 */
public final class TorchrunEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "torchrun";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        return e.has("RANK") && e.has("WORLD_SIZE");
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        int rank = e.integer("RANK");
        int world = e.integer("WORLD_SIZE");
        int localRank = e.integer("LOCAL_RANK", 0);
        int localWorld = e.integer("LOCAL_WORLD_SIZE", e.has("LOCAL_RANK") ? world : 1);
        if (localWorld > world) localWorld = world;
        int numNodes = Math.max(1, world / localWorld);
        int nodeRank = e.firstInteger(rank / localWorld, "GROUP_RANK", "NODE_RANK");
        String addr = e.string("MASTER_ADDR", world == 1 ? "127.0.0.1" : null);
        if (addr == null) throw new IllegalArgumentException(name() + ": MASTER_ADDR is not set (rank " + rank + " of " + world + ")");
        int port = e.integer("MASTER_PORT", world == 1 ? 0 : Defaults.MASTER_PORT);
        return new ClusterInfo(name(), rank, world, localRank, localWorld, nodeRank, numNodes, addr, port);
    }
}
