package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * One way a cluster tells a process where it stands (SLURM, Open MPI, ...). The environment is
 * passed in as a map, so tests feed variables without touching the real process environment.
 */
public interface ClusterEnvironment {
    /** Short name used in messages, e.g. "slurm". */
    String name();

    /** True when {@code env} looks like this cluster's. */
    boolean detect(Map<String, String> env);

    /** Reads this process's place in the job; bad or missing variables give a clear error. */
    ClusterInfo read(Map<String, String> env);
}
