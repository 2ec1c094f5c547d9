package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.NcclException;
import org.junit.jupiter.api.Test;

class NcclErrorsTest {

    @Test
    void namesEveryResultOfTheHeader() {
        assertEquals("ncclSuccess", NcclErrors.name(Nccl.ncclSuccess));
        assertEquals("ncclUnhandledCudaError", NcclErrors.name(Nccl.ncclUnhandledCudaError));
        assertEquals("ncclSystemError", NcclErrors.name(Nccl.ncclSystemError));
        assertEquals("ncclInternalError", NcclErrors.name(Nccl.ncclInternalError));
        assertEquals("ncclInvalidArgument", NcclErrors.name(Nccl.ncclInvalidArgument));
        assertEquals("ncclInvalidUsage", NcclErrors.name(Nccl.ncclInvalidUsage));
        assertEquals("ncclRemoteError", NcclErrors.name(Nccl.ncclRemoteError));
        assertEquals("ncclInProgress", NcclErrors.name(Nccl.ncclInProgress));
        assertEquals(Nccl.ncclNumResults, NcclErrors.NAMES.size());
    }

    @Test
    void namesUnknownCodesByNumber() {
        assertEquals("ncclResult(8)", NcclErrors.name(Nccl.ncclNumResults));
        assertEquals("ncclResult(-1)", NcclErrors.name(-1));
    }

    @Test
    void exceptionNamesCallCodeAndText() {
        NcclException e = NcclErrors.exception("ncclAllReduce", Nccl.ncclInvalidArgument, 0L);
        assertEquals("ncclAllReduce", e.call());
        assertEquals(4, e.code());
        assertEquals("ncclInvalidArgument", e.codeName());
        assertTrue(e.getMessage().startsWith("ncclAllReduce failed: ncclInvalidArgument (NCCL status 4): "), e.getMessage());
        assertFalse(e.isInProgress());
        if (Nccl.isLoaded()) {
            assertTrue(e.libraryMessage().startsWith(Nccl.ncclGetErrorString(4)), e.libraryMessage());
        } else {
            assertEquals("(no NCCL library loaded to describe it)", e.libraryMessage());
        }
    }

    @Test
    void inProgressIsRecognisable() {
        NcclException e = NcclErrors.exception("ncclCommInitRankConfig", Nccl.ncclInProgress, 0L);
        assertTrue(e.isInProgress());
        assertEquals("ncclInProgress", e.codeName());
    }

    @Test
    void onlySuccessAndInProgressPassTheNonBlockingCheck() {
        assertEquals(Nccl.ncclSuccess, Nccl.checkAllowingInProgress(Nccl.ncclSuccess, "ncclGroupEnd", 0L));
        assertEquals(Nccl.ncclInProgress, Nccl.checkAllowingInProgress(Nccl.ncclInProgress, "ncclGroupEnd", 0L));
        for (int code = 1; code < Nccl.ncclNumResults; code++) {
            if (code == Nccl.ncclInProgress) continue;
            int c = code;
            NcclException e = org.junit.jupiter.api.Assertions.assertThrows(NcclException.class,
                    () -> Nccl.checkAllowingInProgress(c, "ncclGroupEnd", 0L));
            assertEquals(c, e.code());
        }
    }

    @Test
    void theBlockingCheckRefusesInProgress() {
        Nccl.check(Nccl.ncclSuccess, "ncclCommCount", 0L);
        NcclException e = org.junit.jupiter.api.Assertions.assertThrows(NcclException.class,
                () -> Nccl.check(Nccl.ncclInProgress, "ncclCommCount", 0L));
        assertTrue(e.isInProgress());
        assertEquals("ncclCommCount", e.call());
    }
}
