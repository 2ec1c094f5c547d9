package io.ddp4j.examples;

import io.ddp4j.bindings.LibraryStatus;
import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.CudaVersions;
import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.bindings.cuda.DeviceProperties;
import io.ddp4j.bindings.kernel.KernelModule;
import io.ddp4j.tensor.backend.cpu.CpuVectorSupport;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ddp4j info}: the devices, driver and libraries found, and which backends are usable. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show GPUs, driver and library versions, and which backends are usable.")
public final class InfoCommand implements Callable<Integer> {

    @Option(names = "--verbose", description = "For a library that did not load, list every place that was searched.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintStream out = System.out;
        out.printf("ddp4j 0.1.0-SNAPSHOT on Java %s (%s)%n", Runtime.version(), System.getProperty("java.home"));

        List<LibraryStatus> libraries = Libraries.statuses();
        out.println("\nLibraries:");
        for (LibraryStatus s : libraries) {
            if (s.usable()) {
                out.printf("  %-13s %-6s %s%n", s.name(), s.version().orElse("?"), s.loadedFrom().orElseThrow());
            } else {
                out.printf("  %-13s -      %s%n", s.name(), s.problem().orElse("unusable"));
            }
        }
        if (verbose) Libraries.printSearchFailures(out);

        out.println("\nDriver and devices:");
        boolean gpu = CudaAvailability.isAvailable();
        if (Cudart.isLoaded()) {
            try {
                int driver = Cudart.cudaDriverGetVersion();
                out.println("  driver supports CUDA " + (driver == 0 ? "- (no NVIDIA driver installed)" : CudaVersions.format(driver)));
            } catch (RuntimeException e) {
                out.println("  driver: " + e.getMessage());
            }
        }
        if (gpu) {
            int n = Cudart.cudaGetDeviceCount();
            for (int d = 0; d < n; d++) {
                DeviceProperties p = Cudart.cudaGetDeviceProperties(d);
                out.printf("  cuda:%d  %s, %s, %d SMs, %.1f GiB%n", d, p.name(), p.computeCapability(),
                        p.multiProcessorCount(), p.totalGlobalMem() / (double) (1L << 30));
            }
        } else {
            out.println("  no GPU: " + CudaAvailability.whyUnavailable().orElseThrow());
        }
        out.println("  kernels: " + (KernelModule.isPackaged()
                ? "ddp4j.fatbin packaged (sm_80, sm_90, compute_90 PTX)"
                : "not packaged: this build had no nvcc, so GPU ops will fail at first use"));

        out.println("  cpu kernels (matrix products, float32 elementwise ops, max pooling): " + CpuVectorSupport.describe());

        out.println("\nBackends:");
        for (Backends.Status b : Backends.statuses(libraries, gpu)) {
            out.printf("  %-5s %s%n", b.name(), b.usable() ? "usable" + (b.reason().isEmpty() ? "" : " (" + b.reason() + ")") : "not usable: " + b.reason());
        }
        return 0;
    }
}
