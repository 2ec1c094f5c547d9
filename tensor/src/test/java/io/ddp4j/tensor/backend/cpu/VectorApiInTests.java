package io.ddp4j.tensor.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * For tests of the Vector API path: in the Maven build (which sets {@code ddp4j.test.vectorApi} to
 * {@code required} and starts the test JVMs with the module) a JVM without it is a failure; in
 * another runtime, such as the GPU machine's trimmed one, the test is skipped.
 */
public final class VectorApiInTests {
    private VectorApiInTests() {}

    public static void require() {
        String why = "cpu kernels: " + CpuVectorSupport.describe();
        if ("required".equals(System.getProperty("ddp4j.test.vectorApi"))) assertTrue(CpuVectorSupport.enabled(), why);
        else assumeTrue(CpuVectorSupport.enabled(), why);
    }
}
