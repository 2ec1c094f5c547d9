package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Without a usable GPU, asking for cuda fails with CudaAvailability's reason, never a crash. */
class NoGpuTest {

    @Test
    void movingATensorToCudaNamesTheReason() {
        assumeTrue(!CudaAvailability.isAvailable(), "a GPU is present: this test is for machines without one");
        String reason = CudaAvailability.whyUnavailable().orElseThrow();
        try (Scope s = Scope.open()) {
            Tensor t = Tensor.ones(DType.F32, 2, 3);
            var e = assertThrows(IllegalStateException.class, () -> t.to(Device.cuda(0)));
            assertTrue(e.getMessage().contains("cannot use cuda:0"), e.getMessage());
            assertTrue(e.getMessage().contains(reason), e.getMessage());
            var again = assertThrows(IllegalStateException.class, () -> Tensor.zeros(DType.F32, Device.cuda(1), 4));
            assertTrue(again.getMessage().contains(reason), again.getMessage());
        }
    }

    @Test
    void theProviderServesOnlyCudaDevicesAndExplainsItself() {
        assertTrue(new CudaBackendProvider().backendFor(Device.CPU).isEmpty());
        assertEquals("cpu is not a cuda device", CudaBackendProvider.whyUnusable(Device.CPU).orElseThrow());
        assumeTrue(!CudaAvailability.isAvailable(), "a GPU is present");
        assertEquals(CudaAvailability.whyUnavailable(), CudaBackendProvider.whyUnusable(Device.cuda(0)));
        assertThrows(IllegalStateException.class, () -> Backends.forDevice(Device.cuda(0)));
    }

    @Test
    void randomNumbersNeedAFloatDtypeLikeOnTheCpu() {
        assertEquals(24, CudaBackend.unitBits(DType.F32));
        assertEquals(8, CudaBackend.unitBits(DType.BF16));
        var e = assertThrows(IllegalArgumentException.class, () -> CudaBackend.unitBits(DType.I32));
        assertTrue(e.getMessage().contains("floating-point"), e.getMessage());
    }
}
