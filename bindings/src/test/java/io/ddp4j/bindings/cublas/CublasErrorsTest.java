package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.ddp4j.bindings.CublasException;
import org.junit.jupiter.api.Test;

class CublasErrorsTest {

    /** Answers like libcublas does: real names for known codes, a placeholder for the rest. */
    private static final CublasErrors.StatusText LIBRARY = new CublasErrors.StatusText(
            code -> code == 7 ? "CUBLAS_STATUS_INVALID_VALUE" : "<unknown>",
            code -> code == 7 ? "an invalid numeric value was used as an argument" : "<unknown>");

    @Test
    void tableNamesEveryStatus() {
        assertEquals("CUBLAS_STATUS_SUCCESS", CublasErrors.tableName(0));
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", CublasErrors.tableName(1));
        assertEquals("CUBLAS_STATUS_ALLOC_FAILED", CublasErrors.tableName(3));
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CublasErrors.tableName(7));
        assertEquals("CUBLAS_STATUS_ARCH_MISMATCH", CublasErrors.tableName(8));
        assertEquals("CUBLAS_STATUS_MAPPING_ERROR", CublasErrors.tableName(11));
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", CublasErrors.tableName(13));
        assertEquals("CUBLAS_STATUS_INTERNAL_ERROR", CublasErrors.tableName(14));
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", CublasErrors.tableName(15));
        assertEquals("CUBLAS_STATUS_LICENSE_ERROR", CublasErrors.tableName(16));
        assertEquals("cublasStatus(42)", CublasErrors.tableName(42));
        assertEquals(10, CublasErrors.NAMES.size());
    }

    @Test
    void messageNamesCallCodeNameAndLibraryText() {
        CublasException e = CublasErrors.exception("cublasSgemm_v2", 7, LIBRARY);
        assertEquals("cublasSgemm_v2", e.call());
        assertEquals(7, e.code());
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", e.codeName());
        assertEquals("an invalid numeric value was used as an argument", e.libraryMessage());
        assertEquals("cublasSgemm_v2 failed: CUBLAS_STATUS_INVALID_VALUE (cuBLAS status 7): an invalid numeric value was used as an argument",
                e.getMessage());
    }

    @Test
    void placeholderNamesFromTheLibraryFallBackToTheTable() {
        CublasException known = CublasErrors.exception("cublasLtMatmul", 15, LIBRARY);
        assertEquals("CUBLAS_STATUS_NOT_SUPPORTED", known.codeName());
        CublasException unknown = CublasErrors.exception("cublasLtMatmul", 99, LIBRARY);
        assertEquals("cublasStatus(99)", unknown.codeName());
        assertTrue(unknown.getMessage().startsWith("cublasLtMatmul failed: cublasStatus(99) (cuBLAS status 99)"), unknown.getMessage());
    }

    @Test
    void withoutTheLibraryTheTableAndANoteDescribeTheStatus() {
        CublasException e = CublasErrors.exception("cublasCreate_v2", 3, null);
        assertEquals("CUBLAS_STATUS_ALLOC_FAILED", e.codeName());
        assertEquals(CublasErrors.NO_LIBRARY, e.libraryMessage());
    }

    @Test
    void aLibraryThatFailsToDescribeDoesNotHideTheError() {
        var broken = new CublasErrors.StatusText(code -> { throw new IllegalStateException("boom"); }, code -> { throw new IllegalStateException("boom"); });
        CublasException e = CublasErrors.exception("cublasSetStream_v2", 1, broken);
        assertEquals("CUBLAS_STATUS_NOT_INITIALIZED", e.codeName());
        assertEquals(CublasErrors.NO_LIBRARY, e.libraryMessage());
    }

    @Test
    void publicEntryPointsWorkWhenCublasIsMissing() {
        assumeFalse(Cublas.isLoaded() || CublasLt.isLoaded(), "cuBLAS is installed here; the table-only path is not reachable");
        CublasException e = CublasErrors.exception("cublasGemmEx", 13);
        assertEquals("CUBLAS_STATUS_EXECUTION_FAILED", e.codeName());
        assertEquals(CublasErrors.NO_LIBRARY, e.libraryMessage());
        assertEquals("CUBLAS_STATUS_INVALID_VALUE", CublasErrors.ltException("cublasLtMatmul", 7).codeName());
    }
}
