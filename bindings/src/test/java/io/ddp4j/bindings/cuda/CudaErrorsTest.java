package io.ddp4j.bindings.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.bindings.CudaException;
import io.ddp4j.bindings.NativeCallException;
import org.junit.jupiter.api.Test;

class CudaErrorsTest {

    @Test
    void anErrorStatusBecomesACudaExceptionNamingCallCodeAndMeaning() {
        CudaException e = CudaErrors.exception("cudaMalloc", 2);
        assertEquals("cudaMalloc", e.call());
        assertEquals(2, e.code());
        assertEquals("cudaErrorMemoryAllocation", e.codeName());
        assertTrue(e.isOutOfMemory());
        assertTrue(e.getMessage().startsWith("cudaMalloc failed: cudaErrorMemoryAllocation (CUDA runtime status 2): "), e.getMessage());
        assertFalse(e.libraryMessage().isBlank());
    }

    @Test
    void everyKnownCodeMapsToItsName() {
        for (var entry : CudaErrors.KNOWN.entrySet()) {
            assertEquals(entry.getValue(), CudaErrors.name(entry.getKey()), "code " + entry.getKey());
        }
    }

    @Test
    void anUnknownCodeStillGivesAUsefulName() {
        String n = CudaErrors.name(987654);
        assertTrue(n.contains("987654") || n.startsWith("cudaError"), n);
    }

    @Test
    void allFourLibraryExceptionsShareOneShape() {
        NativeCallException e = CudaErrors.exception("cudaSetDevice", 101);
        assertTrue(e instanceof CudaException);
        assertEquals("cudaErrorInvalidDevice", e.codeName());
    }

    @Test
    void withoutAGpuTheRuntimeSaysWhyInsteadOfCrashing() {
        assumeTrue(Cudart.isLoaded(), "needs libcudart (the CUDA toolkit) on this machine");
        assumeTrue(!CudaAvailability.isAvailable(), "this test is about machines without a usable GPU");
        CudaException e = assertThrows(CudaException.class, Cudart::cudaGetDeviceCount);
        assertEquals("cudaGetDeviceCount", e.call());
        assertTrue(e.code() == 35 || e.code() == 100 || e.code() == 3, "status " + e.code());
        assertTrue(CudaAvailability.whyUnavailable().orElseThrow().contains("cudaGetDeviceCount"));
    }

    @Test
    void versionsFormatLikeNvidiaWritesThem() {
        assertEquals("13.0", CudaVersions.format(13000));
        assertEquals("12.8", CudaVersions.format(12080));
    }
}
