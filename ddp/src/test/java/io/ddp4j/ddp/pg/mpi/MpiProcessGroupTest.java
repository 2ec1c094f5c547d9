package io.ddp4j.ddp.pg.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.mpi.Mpi;
import io.ddp4j.bindings.mpi.MpiRun;
import io.ddp4j.ddp.pg.CollectivesCheckMain;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The mpi backend passes the same collective checks as the tcp backend, under a real mpirun
 * (Debian's Open MPI), at world sizes 2, 3, 4 and 8: one JVM per rank.
 */
class MpiProcessGroupTest {

    /** Runs {@code main} as {@code world} ranks under mpirun on loopback and returns their output; skips without Open MPI. */
    static String underMpirun(int world, Class<?> main, List<String> mpirunOptions) throws Exception {
        assumeTrue(Mpi.library().isLoaded(), "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        Path mpirun = MpiRun.find().orElse(null);
        assumeTrue(mpirun != null, "no mpirun on PATH");
        List<String> cmd = MpiRun.onLoopback(mpirun, world, "self,vader,tcp");
        cmd.addAll(mpirunOptions);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xss1m", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "mpirun did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 3, 4, 8})
    void everyCollectiveMatchesTheSerialReferenceUnderMpirun(int world) throws Exception {
        String out = underMpirun(world, CollectivesCheckMain.class, List.of());
        for (int r = 0; r < world; r++) assertTrue(out.contains("ok rank " + r + " of " + world + ": "), out);
    }

    /** newGroup on the mpi backend: communicators over some ranks, made by their members only. */
    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {3, 4})
    void subgroupsHoldExactlyTheirRanksUnderMpirun(int world) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String out = underMpirun(world, MpiSubgroupCheckMain.class, List.of("-x", "MASTER_ADDR=127.0.0.1", "-x", "MASTER_PORT=" + port));
        for (int r = 0; r < world; r++) assertTrue(out.contains("ok subgroups rank " + r + " of " + world), out);
    }
}
