package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * Azure Machine Learning. Its PyTorch distribution ({@code distribution: type: pytorch,
 * process_count_per_instance: N}) starts every process with MASTER_ADDR, MASTER_PORT, WORLD_SIZE,
 * RANK, LOCAL_RANK and NODE_RANK. Its MPI distribution starts them through Open MPI
 * (OMPI_COMM_WORLD_*) and names the master in AZ_BATCH_MASTER_NODE or AZ_BATCHAI_MPI_MASTER_NODE,
 * either "host" or "host:port"; on a single node neither is set and loopback is used.
 */
public final class AzureMlEnvironment implements ClusterEnvironment {
    private static final String[] MASTER_NODE_VARS = {"AZ_BATCH_MASTER_NODE", "AZ_BATCHAI_MPI_MASTER_NODE"};

    @Override
    public String name() {
        return "azureml";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        if (e.has("AZ_BATCH_MASTER_NODE") || e.has("AZ_BATCHAI_MPI_MASTER_NODE")) return true;
        return env.keySet().stream().anyMatch(k -> k.startsWith("AZUREML_"));
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        if (e.has("OMPI_COMM_WORLD_RANK")) return readMpi(e);
        if (!e.has("RANK")) {
            throw new IllegalArgumentException(name() + ": neither RANK (PyTorch distribution) nor OMPI_COMM_WORLD_RANK (MPI distribution) is set;"
                    + " give the job a distribution, or run ddp4j run as its command");
        }
        int rank = e.integer("RANK");
        int world = e.integer("WORLD_SIZE");
        int localRank = e.integer("LOCAL_RANK", 0);
        int nodeRank = e.integer("NODE_RANK", 0);
        int numNodes = e.integer("AZUREML_NODE_COUNT", 0);
        int localWorld = e.has("LOCAL_WORLD_SIZE") ? e.integer("LOCAL_WORLD_SIZE")
                : numNodes > 0 ? Math.max(1, world / numNodes) : Math.max(localRank + 1, 1);
        if (numNodes <= 0) numNodes = Math.max(nodeRank + 1, world / localWorld);
        String addr = e.string("MASTER_ADDR", world == 1 ? "127.0.0.1" : null);
        if (addr == null) addr = masterHost(e);
        int port = e.integer("MASTER_PORT", masterPort(e));
        return new ClusterInfo(name(), rank, world, localRank, localWorld, nodeRank, numNodes, addr, port);
    }

    private ClusterInfo readMpi(EnvReader e) {
        int rank = e.integer("OMPI_COMM_WORLD_RANK");
        int world = e.integer("OMPI_COMM_WORLD_SIZE");
        int localRank = e.integer("OMPI_COMM_WORLD_LOCAL_RANK", 0);
        int localWorld = e.integer("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
        int numNodes = Math.max(1, (world + localWorld - 1) / localWorld);
        String addr = e.has("MASTER_ADDR") ? e.string("MASTER_ADDR") : masterHost(e);
        int port = e.integer("MASTER_PORT", masterPort(e));
        return new ClusterInfo(name(), rank, world, localRank, localWorld, Math.min(numNodes - 1, rank / localWorld), numNodes, addr, port);
    }

    private String masterHost(EnvReader e) {
        String v = e.firstString("127.0.0.1", MASTER_NODE_VARS);
        int colon = v.lastIndexOf(':');
        return colon > 0 && v.indexOf(':') == colon ? v.substring(0, colon) : v;
    }

    private int masterPort(EnvReader e) {
        String v = e.firstString("", MASTER_NODE_VARS);
        int colon = v.lastIndexOf(':');
        if (colon > 0 && v.indexOf(':') == colon) {
            try {
                return Integer.parseInt(v.substring(colon + 1));
            } catch (NumberFormatException ignored) {
                // not host:port; use the default below
            }
        }
        return Defaults.MASTER_PORT;
    }
}
