package io.ddp4j.ddp.env;

/**
 * Where this process stands in a job, as a cluster environment describes it.
 *
 * <p>Some environments start one process per rank (torchrun-style, SLURM with one task per GPU,
 * Open MPI): then {@code rank}, {@code worldSize} and {@code localRank} are known. Others start
 * one process per node and expect it to launch the workers (SageMaker, Kubeflow with
 * {@code nprocPerNode}): then those three are {@link #UNKNOWN} and {@link #perProcess()} is false;
 * run {@code ddp4j run --nproc-per-node} there, which fills them in for each worker.
 *
 * @param environment    which environment was detected ("slurm", "torchrun", ...)
 * @param rank           global rank of this process, or UNKNOWN
 * @param worldSize      number of processes in the job, or UNKNOWN
 * @param localRank      rank of this process on its node, or UNKNOWN
 * @param localWorldSize processes per node
 * @param nodeRank       index of this node
 * @param numNodes       number of nodes
 * @param masterAddr     host of the rendezvous store (rank 0's node)
 * @param masterPort     port of the rendezvous store; 0 means "any free port" (single process only)
 */
public record ClusterInfo(String environment, int rank, int worldSize, int localRank, int localWorldSize,
                          int nodeRank, int numNodes, String masterAddr, int masterPort) {
    public static final int UNKNOWN = -1;

    public ClusterInfo {
        if (localWorldSize < 1) throw new IllegalArgumentException(environment + ": processes per node must be >= 1, got " + localWorldSize);
        if (numNodes < 1) throw new IllegalArgumentException(environment + ": number of nodes must be >= 1, got " + numNodes);
        if (nodeRank < 0 || nodeRank >= numNodes) throw new IllegalArgumentException(environment + ": node rank " + nodeRank + " is outside 0.." + (numNodes - 1));
        if (masterPort < 0 || masterPort > 65535) throw new IllegalArgumentException(environment + ": master port must be in 0..65535, got " + masterPort);
        if (masterAddr == null || masterAddr.isBlank()) throw new IllegalArgumentException(environment + ": no master address (set MASTER_ADDR)");
        boolean known = rank != UNKNOWN;
        if (known != (worldSize != UNKNOWN) || known != (localRank != UNKNOWN)) {
            throw new IllegalArgumentException(environment + ": rank, world size and local rank must all be known or all unknown");
        }
        if (known) {
            if (worldSize < 1) throw new IllegalArgumentException(environment + ": world size must be >= 1, got " + worldSize);
            if (rank < 0 || rank >= worldSize) throw new IllegalArgumentException(environment + ": rank " + rank + " is outside 0.." + (worldSize - 1));
            if (localRank < 0 || localRank >= localWorldSize) {
                throw new IllegalArgumentException(environment + ": local rank " + localRank + " is outside 0.." + (localWorldSize - 1));
            }
        }
    }

    /** One process per node that must launch {@code localWorldSize} workers itself. */
    public static ClusterInfo perNode(String environment, int nodeRank, int numNodes, int procsPerNode, String masterAddr, int masterPort) {
        return new ClusterInfo(environment, UNKNOWN, UNKNOWN, UNKNOWN, procsPerNode, nodeRank, numNodes, masterAddr, masterPort);
    }

    /** True when this process is one rank (not a per-node launcher). */
    public boolean perProcess() {
        return rank != UNKNOWN;
    }
}
