package io.ddp4j.bindings.cudnn;

import io.ddp4j.bindings.cuda.CudaAvailability;
import org.junit.jupiter.api.Assumptions;

/** The assumptions every cuDNN GPU test starts with: skip cleanly where there is no GPU or no cuDNN. */
final class GpuTests {
    private GpuTests() {}

    static void assumeCudnn() {
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), () -> CudaAvailability.whyUnavailable().orElse(""));
        Assumptions.assumeTrue(Cudnn.isLoaded(), () -> Cudnn.library().failure().map(Throwable::getMessage).orElse("cuDNN did not load"));
    }
}
