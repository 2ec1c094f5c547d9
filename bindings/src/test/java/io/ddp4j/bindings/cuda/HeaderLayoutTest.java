package io.ddp4j.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The struct offsets and enum values the runtime binding hard-codes, checked against the CUDA
 * headers themselves: a small C program is compiled with gcc against {@code cuda_runtime_api.h}
 * and prints {@code offsetof}, {@code sizeof} and the enum constants.
 */
class HeaderLayoutTest {
    private static final Path INCLUDE = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "include");
    private static Map<String, Long> facts;

    @BeforeAll
    static void compileProbe(@TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.exists(INCLUDE.resolve("cuda_runtime_api.h")), "no CUDA headers at " + INCLUDE);
        Path src = dir.resolve("probe.c");
        Files.writeString(src, """
                #include <stdio.h>
                #include <stddef.h>
                #include <cuda_runtime_api.h>
                #define P(name, v) printf("%s=%ld\\n", name, (long)(v))
                int main(void) {
                  P("prop.size", sizeof(struct cudaDeviceProp));
                  P("prop.name", offsetof(struct cudaDeviceProp, name));
                  P("prop.totalGlobalMem", offsetof(struct cudaDeviceProp, totalGlobalMem));
                  P("prop.major", offsetof(struct cudaDeviceProp, major));
                  P("prop.minor", offsetof(struct cudaDeviceProp, minor));
                  P("prop.multiProcessorCount", offsetof(struct cudaDeviceProp, multiProcessorCount));
                  P("ptr.type", offsetof(struct cudaPointerAttributes, type));
                  P("ptr.device", offsetof(struct cudaPointerAttributes, device));
                  P("ptr.devicePointer", offsetof(struct cudaPointerAttributes, devicePointer));
                  P("ptr.hostPointer", offsetof(struct cudaPointerAttributes, hostPointer));
                  P("dim3.size", sizeof(dim3));
                  P("cudaMemcpyHostToDevice", cudaMemcpyHostToDevice);
                  P("cudaMemcpyDeviceToHost", cudaMemcpyDeviceToHost);
                  P("cudaMemcpyDeviceToDevice", cudaMemcpyDeviceToDevice);
                  P("cudaMemcpyDefault", cudaMemcpyDefault);
                  P("cudaStreamNonBlocking", cudaStreamNonBlocking);
                  P("cudaEventDisableTiming", cudaEventDisableTiming);
                  P("cudaStreamCaptureModeThreadLocal", cudaStreamCaptureModeThreadLocal);
                  P("cudaStreamCaptureModeRelaxed", cudaStreamCaptureModeRelaxed);
                  P("cudaDevAttrMultiProcessorCount", cudaDevAttrMultiProcessorCount);
                  P("cudaDevAttrComputeCapabilityMajor", cudaDevAttrComputeCapabilityMajor);
                  P("cudaDevAttrComputeCapabilityMinor", cudaDevAttrComputeCapabilityMinor);
                  P("cudaDevAttrMemoryPoolsSupported", cudaDevAttrMemoryPoolsSupported);
                  P("cudaErrorNotReady", cudaErrorNotReady);
                  P("cudaErrorMemoryAllocation", cudaErrorMemoryAllocation);
                  P("cudaHostAllocPortable", cudaHostAllocPortable);
                  return 0;
                }
                """);
        Path exe = dir.resolve("probe");
        Process cc;
        try {
            cc = new ProcessBuilder("gcc", "-I", INCLUDE.toString(), src.toString(), "-o", exe.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no gcc to compile the header probe: " + e.getMessage());
            return;
        }
        String ccOut = new String(cc.getInputStream().readAllBytes());
        assumeTrue(cc.waitFor(60, TimeUnit.SECONDS) && cc.exitValue() == 0, "the probe did not compile: " + ccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String out = new String(run.getInputStream().readAllBytes());
        assertEquals(0, run.waitFor());
        facts = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.split("=");
            facts.put(kv[0], Long.parseLong(kv[1].trim()));
        }
    }

    private static long fact(String name) {
        Long v = facts.get(name);
        if (v == null) throw new AssertionError("the probe did not print " + name);
        return v;
    }

    @Test
    void devicePropertiesOffsetsMatchTheHeader() {
        assertEquals(fact("prop.size"), DeviceProperties.STRUCT_SIZE);
        assertEquals(fact("prop.name"), DeviceProperties.NAME_OFFSET);
        assertEquals(fact("prop.totalGlobalMem"), DeviceProperties.TOTAL_GLOBAL_MEM_OFFSET);
        assertEquals(fact("prop.major"), DeviceProperties.MAJOR_OFFSET);
        assertEquals(fact("prop.minor"), DeviceProperties.MINOR_OFFSET);
        assertEquals(fact("prop.multiProcessorCount"), DeviceProperties.MULTI_PROCESSOR_COUNT_OFFSET);
        assertEquals(true, DeviceProperties.STRUCT_SIZE_WITH_MARGIN >= fact("prop.size"));
    }

    @Test
    void pointerAttributesOffsetsMatchTheHeader() {
        assertEquals(0, fact("ptr.type"));
        assertEquals(4, fact("ptr.device"));
        assertEquals(8, fact("ptr.devicePointer"));
        assertEquals(16, fact("ptr.hostPointer"));
    }

    @Test
    void dim3IsThreeUnsignedInts() {
        assertEquals(fact("dim3.size"), Dim3.LAYOUT.byteSize());
    }

    @Test
    void enumValuesMatchTheHeader() {
        assertEquals(fact("cudaMemcpyHostToDevice"), Cudart.cudaMemcpyHostToDevice);
        assertEquals(fact("cudaMemcpyDeviceToHost"), Cudart.cudaMemcpyDeviceToHost);
        assertEquals(fact("cudaMemcpyDeviceToDevice"), Cudart.cudaMemcpyDeviceToDevice);
        assertEquals(fact("cudaMemcpyDefault"), Cudart.cudaMemcpyDefault);
        assertEquals(fact("cudaStreamNonBlocking"), Cudart.cudaStreamNonBlocking);
        assertEquals(fact("cudaEventDisableTiming"), Cudart.cudaEventDisableTiming);
        assertEquals(fact("cudaStreamCaptureModeThreadLocal"), Cudart.cudaStreamCaptureModeThreadLocal);
        assertEquals(fact("cudaStreamCaptureModeRelaxed"), Cudart.cudaStreamCaptureModeRelaxed);
        assertEquals(fact("cudaDevAttrMultiProcessorCount"), Cudart.cudaDevAttrMultiProcessorCount);
        assertEquals(fact("cudaDevAttrComputeCapabilityMajor"), Cudart.cudaDevAttrComputeCapabilityMajor);
        assertEquals(fact("cudaDevAttrComputeCapabilityMinor"), Cudart.cudaDevAttrComputeCapabilityMinor);
        assertEquals(fact("cudaDevAttrMemoryPoolsSupported"), Cudart.cudaDevAttrMemoryPoolsSupported);
        assertEquals(fact("cudaErrorNotReady"), Cudart.cudaErrorNotReady);
        assertEquals(fact("cudaHostAllocPortable"), Cudart.cudaHostAllocPortable);
        assertEquals(fact("cudaErrorMemoryAllocation"), 2);
    }
}
