package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * Kubeflow's PyTorchJob. Each pod gets MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK; with
 * {@code nprocPerNode} or an elastic policy it also gets PET_NNODES, PET_NPROC_PER_NODE,
 * PET_NODE_RANK, PET_MASTER_ADDR and PET_MASTER_PORT, meant for a per-pod launcher. With more
 * than one process per pod this reads as a per-node description: run {@code ddp4j run} in the pod.
 */
public final class KubeflowEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "kubeflow";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        if (e.has("PET_NNODES") || e.has("PET_NPROC_PER_NODE") || e.has("PET_NODE_RANK")) return true;
        return e.has("KUBERNETES_SERVICE_HOST") && e.has("RANK") && e.has("WORLD_SIZE") && e.has("MASTER_ADDR");
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        String addr = e.firstString(null, "PET_MASTER_ADDR", "MASTER_ADDR");
        if (addr == null) throw new IllegalArgumentException(name() + ": neither PET_MASTER_ADDR nor MASTER_ADDR is set");
        int port = e.firstInteger(Defaults.MASTER_PORT, "PET_MASTER_PORT", "MASTER_PORT");
        int procs = procsPerNode(e);
        if (procs > 1) {
            int numNodes = e.firstInteger(1, "PET_NNODES", "WORLD_SIZE");
            int nodeRank = e.firstInteger(0, "PET_NODE_RANK", "RANK");
            return ClusterInfo.perNode(name(), nodeRank, numNodes, procs, addr, port);
        }
        int rank = e.integer("RANK");
        int world = e.integer("WORLD_SIZE");
        return new ClusterInfo(name(), rank, world, 0, 1, rank, world, addr, port);
    }

    /** PET_NPROC_PER_NODE is a number, or "auto"/"gpu"/"cpu" which a JVM launcher cannot resolve for the pod. */
    private int procsPerNode(EnvReader e) {
        if (!e.has("PET_NPROC_PER_NODE")) return 1;
        String v = e.string("PET_NPROC_PER_NODE");
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(name() + ": PET_NPROC_PER_NODE='" + v
                    + "' is not a number; set nprocPerNode to the number of GPUs per pod");
        }
    }
}
