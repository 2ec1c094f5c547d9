package io.ddp4j.bindings.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.ddp4j.bindings.CudnnException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudnnErrorsTest {

    /** Every CUDNN_STATUS_* constant, by reflection. */
    private static Map<String, Integer> statusConstants() throws IllegalAccessException {
        Map<String, Integer> out = new HashMap<>();
        for (Field f : CudnnConstants.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("CUDNN_STATUS_")) out.put(f.getName(), f.getInt(null));
        }
        return out;
    }

    @Test
    void everyStatusConstantIsNamedByItsOwnName() throws IllegalAccessException {
        Map<String, Integer> constants = statusConstants();
        assertEquals(48, constants.size(), "cuDNN 9.6 declares 47 status values plus the deprecated INVALID_VALUE (2001)");
        constants.forEach((name, code) -> assertEquals(name, CudnnErrors.name(code), "status " + code));
        assertEquals(constants.size(), CudnnErrors.KNOWN.size(), "the name table has exactly the declared statuses");
    }

    @Test
    void cudnn9NumbersStatusesByCategory() throws IllegalAccessException {
        // cudnn_graph.h: 1xxx uncategorised, 2xxx bad parameter, 3xxx not supported, 4xxx internal, 5xxx execution
        statusConstants().forEach((name, code) -> {
            if (code == 0) return;
            String expectedCategory = switch (code / 1000) {
                case 2 -> "CUDNN_STATUS_BAD_PARAM";
                case 3 -> "CUDNN_STATUS_NOT_SUPPORTED";
                case 4 -> "CUDNN_STATUS_INTERNAL_ERROR";
                case 5 -> "CUDNN_STATUS_EXECUTION_FAILED";
                default -> null;
            };
            if (expectedCategory != null && code != CudnnConstants.CUDNN_STATUS_INVALID_VALUE) {
                assertTrue(name.startsWith(expectedCategory), name + " = " + code + " should be a " + expectedCategory);
            }
        });
    }

    @Test
    void statusValuesThatChangedInCudnn9() {
        // cuDNN 8 numbered these 1..14; cuDNN 9's cudnn_graph.h renumbered them
        assertEquals(2000, CudnnConstants.CUDNN_STATUS_BAD_PARAM);
        assertEquals(3000, CudnnConstants.CUDNN_STATUS_NOT_SUPPORTED);
        assertEquals(4000, CudnnConstants.CUDNN_STATUS_INTERNAL_ERROR);
        assertEquals(5000, CudnnConstants.CUDNN_STATUS_EXECUTION_FAILED);
        assertEquals(1001, CudnnConstants.CUDNN_STATUS_NOT_INITIALIZED);
        assertEquals(4004, CudnnConstants.CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED);
        assertEquals("CUDNN_STATUS_INVALID_VALUE", CudnnErrors.name(2001));
        assertEquals("CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH", CudnnErrors.name(1002));
    }

    @Test
    void unknownCodesAreNamedByNumberAndCategory() {
        assertEquals("cudnnStatus(2099, a CUDNN_STATUS_BAD_PARAM)", CudnnErrors.name(2099));
        assertEquals("cudnnStatus(3014, a CUDNN_STATUS_NOT_SUPPORTED)", CudnnErrors.name(3014));
        assertEquals("cudnnStatus(7777)", CudnnErrors.name(7777));
        assertEquals("cudnnStatus(-3)", CudnnErrors.name(-3));
        assertEquals(2000, CudnnErrors.category(2099));
        assertEquals(5000, CudnnErrors.category(5004));
    }

    @Test
    void exceptionNamesCallCodeAndName() {
        CudnnException e = CudnnErrors.exception("cudnnConvolutionForward", CudnnConstants.CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH);
        assertEquals("cudnnConvolutionForward", e.call());
        assertEquals(2008, e.code());
        assertEquals("CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH", e.codeName());
        assertTrue(e.getMessage().startsWith("cudnnConvolutionForward failed: CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH (cuDNN status 2008): "), e.getMessage());
        assertTrue(!e.libraryMessage().isEmpty());
    }

    @Test
    void withoutCudnnTheMessageSaysSo() {
        assumeFalse(Cudnn.isLoaded(), "cuDNN is installed here; this test is about machines without it");
        CudnnException e = CudnnErrors.exception("cudnnCreate", CudnnConstants.CUDNN_STATUS_NOT_INITIALIZED);
        assertEquals("cudnnCreate failed: CUDNN_STATUS_NOT_INITIALIZED (cuDNN status 1001): (cuDNN not loaded to describe it)", e.getMessage());
    }
}
