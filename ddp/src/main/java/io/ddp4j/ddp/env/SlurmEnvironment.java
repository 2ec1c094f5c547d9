package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * SLURM with one task per rank ({@code srun --ntasks-per-node=GPUS}): SLURM_PROCID, SLURM_NTASKS,
 * SLURM_LOCALID, SLURM_NODEID, SLURM_NNODES; the master is the first host of
 * SLURM_JOB_NODELIST (or SLURM_NODELIST) unless MASTER_ADDR is set. Without MASTER_PORT the port
 * is 29500 + SLURM_JOB_ID mod 1000, so two jobs sharing a node do not collide.
 */
public final class SlurmEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "slurm";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        return e.has("SLURM_PROCID") && e.has("SLURM_NTASKS");
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        int rank = e.integer("SLURM_PROCID");
        int world = e.integer("SLURM_NTASKS");
        int localRank = e.integer("SLURM_LOCALID", 0);
        int numNodes = e.integer("SLURM_NNODES", e.integer("SLURM_JOB_NUM_NODES", 1));
        int localWorld = localWorldSize(e, world, numNodes);
        int nodeRank = e.integer("SLURM_NODEID", 0);
        String addr = e.has("MASTER_ADDR") ? e.string("MASTER_ADDR")
                : SlurmNodeList.firstHost(e.firstString(numNodes == 1 ? "127.0.0.1" : null, "SLURM_JOB_NODELIST", "SLURM_NODELIST"));
        int port = e.has("MASTER_PORT") ? e.integer("MASTER_PORT") : Defaults.MASTER_PORT + (int) (jobId(e) % 1000);
        return new ClusterInfo(name(), rank, world, localRank, localWorld, nodeRank, numNodes, addr, port);
    }

    /** SLURM_NTASKS_PER_NODE may be "4" or "4(x2)"; SLURM_TASKS_PER_NODE lists counts per node. */
    private static int localWorldSize(EnvReader e, int world, int numNodes) {
        String s = e.firstString(null, "SLURM_NTASKS_PER_NODE", "SLURM_TASKS_PER_NODE");
        if (s != null) {
            String head = s.split("[(,]")[0].trim();
            try {
                return Integer.parseInt(head);
            } catch (NumberFormatException ignored) {
                // fall back to an even split below
            }
        }
        return Math.max(1, world / numNodes);
    }

    private static long jobId(EnvReader e) {
        String id = e.string("SLURM_JOB_ID", "0");
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException ex) {
            return 0;
        }
    }
}
