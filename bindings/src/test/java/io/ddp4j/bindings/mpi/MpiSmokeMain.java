package io.ddp4j.bindings.mpi;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.ddp4j.bindings.MpiException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Started by {@link MpiBindingTest} under mpirun: every rank all-reduces, broadcasts and gathers
 * through the binding, checks the results against what each rank can compute alone, provokes one
 * error, and prints "ok rank R of N" (exit 1 with the reason otherwise).
 */
public final class MpiSmokeMain {
    public static void main(String[] args) {
        int provided = MpiHandles.initThreadMultiple();
        long world = MpiHandles.commWorld();
        int rank = Mpi.MPI_Comm_rank(world), size = Mpi.MPI_Comm_size(world);
        try (Arena arena = Arena.ofConfined()) {
            int n = 1001;
            MemorySegment send = arena.allocate(JAVA_FLOAT, n), recv = arena.allocate(JAVA_FLOAT, n);
            for (int i = 0; i < n; i++) send.setAtIndex(JAVA_FLOAT, i, rank + i);
            Mpi.MPI_Allreduce(send.address(), recv.address(), n, MpiHandles.typeFloat(), MpiHandles.opSum(), world);
            for (int i = 0; i < n; i++) {
                float want = size * (size - 1) / 2f + (float) size * i;
                require(recv.getAtIndex(JAVA_FLOAT, i) == want, "allreduce[" + i + "] = " + recv.getAtIndex(JAVA_FLOAT, i) + ", want " + want);
            }
            MemorySegment b = arena.allocate(JAVA_FLOAT, 4);
            if (rank == size - 1) for (int i = 0; i < 4; i++) b.setAtIndex(JAVA_FLOAT, i, 42 + i);
            Mpi.MPI_Bcast(b.address(), 4, MpiHandles.typeFloat(), size - 1, world);
            require(b.getAtIndex(JAVA_FLOAT, 3) == 45f, "broadcast from the last rank");

            MemorySegment mine = arena.allocate(JAVA_FLOAT, 1), all = arena.allocate(JAVA_FLOAT, size);
            mine.set(JAVA_FLOAT, 0, rank * 10f);
            Mpi.MPI_Allgather(mine.address(), 1, MpiHandles.typeFloat(), all.address(), 1, MpiHandles.typeFloat(), world);
            for (int r = 0; r < size; r++) require(all.getAtIndex(JAVA_FLOAT, r) == r * 10f, "allgather slot " + r);

            try {
                Mpi.MPI_Bcast(b.address(), 4, MpiHandles.typeFloat(), size + 5, world);
                require(false, "a broadcast from a rank that does not exist must fail");
            } catch (MpiException e) {
                require(e.codeName().equals("MPI_ERR_ROOT") && e.call().equals("MPI_Bcast"), "error was " + e.getMessage());
            }
            Mpi.MPI_Barrier(world);
        }
        Mpi.MPI_Finalize();
        System.out.println("ok rank " + rank + " of " + size + " (thread level " + provided + ")");
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
