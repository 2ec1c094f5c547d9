package io.ddp4j.benchmarks;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.bindings.cuda.Cudart;

/** What every GPU benchmark checks first: a usable device, selected; otherwise a clear failure. */
public final class GpuState {
    private GpuState() {}

    public static void requireGpu() {
        CudaAvailability.whyUnavailable().ifPresent(why -> {
            throw new IllegalStateException("this benchmark needs a CUDA GPU: " + why);
        });
        Cudart.cudaSetDevice(0);
    }
}
