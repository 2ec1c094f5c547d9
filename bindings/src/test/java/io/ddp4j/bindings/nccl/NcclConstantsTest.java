package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The enum values against nccl.h of NCCL 2.28.3 (src/nccl.h.in, tag v2.28.3-1). */
class NcclConstantsTest {

    @Test
    void resultCodes() {
        int[] codes = {Nccl.ncclSuccess, Nccl.ncclUnhandledCudaError, Nccl.ncclSystemError, Nccl.ncclInternalError,
                Nccl.ncclInvalidArgument, Nccl.ncclInvalidUsage, Nccl.ncclRemoteError, Nccl.ncclInProgress};
        for (int i = 0; i < codes.length; i++) assertEquals(i, codes[i]);
        assertEquals(8, Nccl.ncclNumResults);
    }

    @Test
    void dataTypes() {
        assertEquals(0, Nccl.ncclInt8);
        assertEquals(1, Nccl.ncclUint8);
        assertEquals(2, Nccl.ncclInt32);
        assertEquals(3, Nccl.ncclUint32);
        assertEquals(4, Nccl.ncclInt64);
        assertEquals(5, Nccl.ncclUint64);
        assertEquals(6, Nccl.ncclFloat16);
        assertEquals(7, Nccl.ncclFloat32);
        assertEquals(8, Nccl.ncclFloat64);
        assertEquals(9, Nccl.ncclBfloat16);
        assertEquals(10, Nccl.ncclFloat8e4m3);
        assertEquals(11, Nccl.ncclFloat8e5m2);
        assertEquals(12, Nccl.ncclNumTypes);
    }

    @Test
    void reductionOperators() {
        assertEquals(0, Nccl.ncclSum);
        assertEquals(1, Nccl.ncclProd);
        assertEquals(2, Nccl.ncclMax);
        assertEquals(3, Nccl.ncclMin);
        assertEquals(4, Nccl.ncclAvg);
        assertEquals(5, Nccl.ncclNumOps);
    }

    @Test
    void ctaPolicies() {
        assertEquals(0, NcclConfig.CTA_POLICY_DEFAULT);
        assertEquals(1, NcclConfig.CTA_POLICY_EFFICIENCY);
        assertEquals(2, NcclConfig.CTA_POLICY_ZERO);
        assertEquals(Integer.MIN_VALUE, NcclConfig.UNDEF_INT);
    }
}
