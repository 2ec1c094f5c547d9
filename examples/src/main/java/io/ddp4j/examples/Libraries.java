package io.ddp4j.examples;

import io.ddp4j.bindings.LibraryStatus;
import io.ddp4j.bindings.cuda.CudaVersions;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.loader.NativeLibrary;
import io.ddp4j.bindings.cublas.Cublas;
import io.ddp4j.bindings.cublas.CublasLt;
import io.ddp4j.bindings.cudnn.Cudnn;
import io.ddp4j.bindings.mpi.Mpi;
import io.ddp4j.bindings.nccl.Nccl;
import java.io.PrintStream;
import java.util.List;

/** The NVIDIA libraries ddp4j binds, with their versions. */
final class Libraries {
    private Libraries() {}

    static List<NativeLibrary> all() {
        return List.of(Cudart.library(), Cublas.library(), CublasLt.library(), Cudnn.library(), Nccl.library(), Mpi.library());
    }

    static List<LibraryStatus> statuses() {
        return List.of(
                LibraryStatus.of(Cudart.library(), () -> CudaVersions.format(Cudart.cudaRuntimeGetVersion())),
                LibraryStatus.of(Cublas.library(), Cublas::versionString),
                LibraryStatus.of(CublasLt.library(), CublasLt::versionString),
                LibraryStatus.of(Cudnn.library(), Cudnn::versionString),
                LibraryStatus.of(Nccl.library(), Nccl::versionString),
                LibraryStatus.of(Mpi.library(), () -> Mpi.MPI_Get_library_version().replaceFirst("^Open MPI v([^,]+).*", "$1")));
    }

    static void printSearchFailures(PrintStream out) {
        for (NativeLibrary lib : all()) lib.failure().ifPresent(f -> out.println("\n" + f.getMessage()));
    }
}
