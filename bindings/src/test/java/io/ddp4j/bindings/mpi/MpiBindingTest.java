package io.ddp4j.bindings.mpi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MpiBindingTest {

    @Test
    void theLibraryReportsItsVersionWithoutInit() {
        assumeTrue(Mpi.library().isLoaded(), "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        assertTrue(Mpi.MPI_Get_library_version().startsWith("Open MPI"), Mpi.MPI_Get_library_version());
    }

    @Test
    void errorClassesFollowTheStandardNumbering() {
        assertEquals("MPI_ERR_ROOT", MpiErrors.CLASSES.get(8));
        assertEquals("MPI_ERR_COMM", MpiErrors.CLASSES.get(5));
        assertEquals("MPI_ERR_ASSERT", MpiErrors.CLASSES.get(22));
    }

    @Test
    void threeRanksUnderMpirunReduceBroadcastAndGather() throws Exception {
        assumeTrue(Mpi.library().isLoaded(), "Open MPI is not installed (apt-get install openmpi-bin libopenmpi-dev)");
        Path mpirun = MpiRun.find().orElse(null);
        assumeTrue(mpirun != null, "no mpirun on PATH");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = MpiRun.onLoopback(mpirun, 3, "self,tcp");
        cmd.addAll(List.of(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), MpiSmokeMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "mpirun did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        for (int r = 0; r < 3; r++) assertTrue(out.contains("ok rank " + r + " of 3"), out);
    }
}
