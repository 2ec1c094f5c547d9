package io.ddp4j.ddp.env;

import java.util.List;
import java.util.Map;

/**
 * Picks the environment that describes this process. Order matters where variables overlap:
 * a worker started by {@code ddp4j run} (marked by DDP4J_LAUNCHER) is read as torchrun-style
 * even inside SLURM or SageMaker, whose variables it inherits; Azure ML and Kubeflow come before
 * the generic readers because they also set RANK; explicit RANK/WORLD_SIZE beat MPI and SLURM
 * because a user who exports them means them.
 */
public final class ClusterEnvironments {
    /** Set by the launcher in every worker's environment. */
    public static final String LAUNCHER_MARKER = "DDP4J_LAUNCHER";

    private static final TorchrunEnvironment TORCHRUN = new TorchrunEnvironment();
    private static final List<ClusterEnvironment> ORDER = List.of(
            new AzureMlEnvironment(), new KubeflowEnvironment(), TORCHRUN, new OpenMpiEnvironment(),
            new SlurmEnvironment(), new SageMakerEnvironment(), new SingleProcessEnvironment());

    private ClusterEnvironments() {}

    /** Every known environment, in detection order (the last always matches). */
    public static List<ClusterEnvironment> all() {
        return ORDER;
    }

    public static ClusterEnvironment detectEnvironment(Map<String, String> env) {
        if (env.containsKey(LAUNCHER_MARKER)) return TORCHRUN;
        for (ClusterEnvironment c : ORDER) if (c.detect(env)) return c;
        throw new AssertionError("the single-process environment always matches");
    }

    public static ClusterInfo detect(Map<String, String> env) {
        return detectEnvironment(env).read(env);
    }
}
