package io.ddp4j.bindings.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The one assumption every GPU test makes: a usable CUDA device, or a skip that says why not. */
public final class GpuAssumptions {
    private GpuAssumptions() {}

    public static void assumeGpu() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
    }
}
