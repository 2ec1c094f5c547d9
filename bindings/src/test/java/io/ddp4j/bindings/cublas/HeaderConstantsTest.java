package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Holds every constant of the bindings against the installed CUDA headers: library_types.h
 * (part of the CUDA toolkit, so present wherever nvcc is) and, where the cuBLAS development
 * files are installed, cublas_api.h and cublasLt.h. Each test skips when its header is absent.
 */
class HeaderConstantsTest {

    private static Map<String, Long> enums(String... headers) throws Exception {
        CHeaderEnums e = new CHeaderEnums();
        for (String h : headers) {
            Optional<Path> p = CHeaderEnums.find(h);
            assumeTrue(p.isPresent(), () -> h + " is not installed in " + CHeaderEnums.includeFolders());
            e.read(p.get());
        }
        return e.values();
    }

    /** Every public static final int of {@code type} has the header's value for its name. */
    private static void assertAllMatch(Class<?> type, Map<String, Long> header) throws IllegalAccessException {
        List<String> checked = new ArrayList<>();
        for (Field f : type.getFields()) {
            int mod = f.getModifiers();
            if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod) || f.getType() != int.class) continue;
            Long expected = header.get(f.getName());
            assertTrue(expected != null, () -> type.getSimpleName() + "." + f.getName() + " is not an enumerator of the header");
            assertEquals(expected.longValue(), f.getInt(null), () -> type.getSimpleName() + "." + f.getName());
            checked.add(f.getName());
        }
        assertTrue(checked.size() > 5, () -> "too few constants checked in " + type + ": " + checked);
    }

    @Test
    void cudaDataTypesMatchLibraryTypesH() throws Exception {
        assertAllMatch(CudaDataType.class, enums("library_types.h"));
    }

    @Test
    void cublasConstantsMatchCublasApiH() throws Exception {
        assertAllMatch(Cublas.class, enums("library_types.h", "cublas_api.h"));
    }

    @Test
    void statusTableIsTheWholeEnum() throws Exception {
        Map<String, Long> header = enums("library_types.h", "cublas_api.h");
        List<String> statuses = header.keySet().stream().filter(n -> n.startsWith("CUBLAS_STATUS_")).sorted().toList();
        assertEquals(statuses, CublasErrors.NAMES.values().stream().sorted().toList());
        CublasErrors.NAMES.forEach((code, name) -> assertEquals(header.get(name).intValue(), code, name));
    }

    @Test
    void cublasLtConstantsAndEpiloguesMatchCublasLtH() throws Exception {
        Map<String, Long> header = enums("library_types.h", "cublas_api.h", "cublasLt.h");
        assertAllMatch(CublasLt.class, header);
        for (LtEpilogue e : LtEpilogue.values()) {
            assertEquals(header.get("CUBLASLT_EPILOGUE_" + e.name()).intValue(), e.value(), e.name());
        }
    }
}
