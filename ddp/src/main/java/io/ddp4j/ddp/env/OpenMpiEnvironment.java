package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * Open MPI's {@code mpirun}: OMPI_COMM_WORLD_RANK, _SIZE, _LOCAL_RANK, _LOCAL_SIZE. MPI gives no
 * rendezvous address, so MASTER_ADDR is read (pass it with {@code mpirun -x MASTER_ADDR}), then
 * the first SLURM host when mpirun runs inside an allocation, then loopback for one node.
 */
public final class OpenMpiEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "openmpi";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        return e.has("OMPI_COMM_WORLD_RANK") && e.has("OMPI_COMM_WORLD_SIZE");
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        int rank = e.integer("OMPI_COMM_WORLD_RANK");
        int world = e.integer("OMPI_COMM_WORLD_SIZE");
        int localRank = e.integer("OMPI_COMM_WORLD_LOCAL_RANK", 0);
        int localWorld = e.integer("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
        int numNodes = Math.max(1, (world + localWorld - 1) / localWorld);
        int nodeRank = Math.min(numNodes - 1, rank / localWorld);
        String addr;
        if (e.has("MASTER_ADDR")) addr = e.string("MASTER_ADDR");
        else if (e.has("SLURM_JOB_NODELIST")) addr = SlurmNodeList.firstHost(e.string("SLURM_JOB_NODELIST"));
        else if (numNodes == 1) addr = "127.0.0.1";
        else throw new IllegalArgumentException(name() + ": MASTER_ADDR is not set and the job spans " + numNodes
                + " nodes; pass the first node's address with mpirun -x MASTER_ADDR=<host>");
        int port = e.integer("MASTER_PORT", Defaults.MASTER_PORT);
        return new ClusterInfo(name(), rank, world, localRank, localWorld, nodeRank, numNodes, addr, port);
    }
}
