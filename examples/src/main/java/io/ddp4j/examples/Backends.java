package io.ddp4j.examples;

import io.ddp4j.bindings.LibraryStatus;
import io.ddp4j.bindings.mpi.MpiRun;
import java.util.List;

/** Which process-group backends this machine can run, from what {@code info} found. */
final class Backends {
    private Backends() {}

    record Status(String name, boolean usable, String reason) {}

    private static Status mpiStatus(List<LibraryStatus> libraries) {
        LibraryStatus mpi = libraries.stream().filter(l -> l.name().equals("Open MPI")).findFirst().orElse(null);
        if (mpi == null || !mpi.usable()) {
            return new Status("mpi", false, "Open MPI not found (apt-get install openmpi-bin libopenmpi-dev)");
        }
        String launcher = MpiRun.find().map(p -> "start the job with " + p)
                .orElse("no mpirun on PATH to start the job with (apt-get install openmpi-bin)");
        return new Status("mpi", true, "Open MPI " + mpi.version().orElse("") + "; " + launcher);
    }

    static List<Status> statuses(List<LibraryStatus> libraries, boolean gpu) {
        LibraryStatus nccl = libraries.stream().filter(l -> l.name().equals("NCCL")).findFirst().orElse(null);
        Status ncclStatus;
        if (!gpu) ncclStatus = new Status("nccl", false, "needs a CUDA GPU, and none is usable");
        else if (nccl == null) ncclStatus = new Status("nccl", false, "the NCCL binding is not in this build yet");
        else if (!nccl.usable()) ncclStatus = new Status("nccl", false, nccl.problem().orElse("NCCL did not load"));
        else if (!io.ddp4j.ddp.Backends.names().contains("nccl")) ncclStatus = new Status("nccl", false, "NCCL found, but the nccl process group is not in this build yet");
        else ncclStatus = new Status("nccl", true, "");
        return List.of(ncclStatus, new Status("tcp", true, ""), mpiStatus(libraries));
    }
}
