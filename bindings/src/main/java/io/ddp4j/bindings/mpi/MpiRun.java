package io.ddp4j.bindings.mpi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Open MPI's launcher on this machine: where {@code mpirun} is, and the command line that starts
 * ranks of one node talking over loopback only (what {@code ddp4j info} points to, and what the
 * mpi tests run under).
 */
public final class MpiRun {
    private MpiRun() {}

    /** The first executable {@code mpirun} on PATH. */
    public static Optional<Path> find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "mpirun");
            if (Files.isExecutable(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /**
     * {@code mpirun --oversubscribe -np N} with the byte transports {@code btl} (for example
     * "self,tcp") and both Open MPI's data and control traffic kept on loopback; as root it adds
     * {@code --allow-run-as-root}, which Open MPI otherwise demands. The program and its arguments
     * go after.
     */
    public static List<String> onLoopback(Path mpirun, int ranks, String btl) {
        if (ranks < 1) throw new IllegalArgumentException("mpirun needs at least one rank, got " + ranks);
        List<String> cmd = new ArrayList<>(List.of(mpirun.toString(), "--oversubscribe", "-np", String.valueOf(ranks),
                "--mca", "btl", btl, "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"));
        if ("root".equals(System.getProperty("user.name"))) cmd.add(1, "--allow-run-as-root");
        return cmd;
    }
}
