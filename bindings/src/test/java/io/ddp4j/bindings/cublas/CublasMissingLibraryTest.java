package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.ddp4j.bindings.LibraryStatus;
import io.ddp4j.bindings.loader.LibrarySearchPath;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import io.ddp4j.bindings.loader.NativeLibraryNotFoundException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without cuBLAS, every entry point fails with the loader's explanation, never with a crash. */
class CublasMissingLibraryTest {

    @Test
    void aMissingCublasIsExplainedWithThePlacesSearched(@TempDir Path folder) throws Throwable {
        LibrarySpec fake = new LibrarySpec("cuBLAS", "libcublas-missing.so.13", List.of("cublas"));
        NativeLibrary lib = NativeLibrary.find(fake, LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", folder.toString()), Map.of()));
        assertFalse(lib.isLoaded());
        // bound exactly as Cublas binds cublasCreate_v2
        MethodHandle create = lib.function("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        var e = assertThrows(NativeLibraryNotFoundException.class, () -> { int ignored = (int) create.invokeExact(0L); });
        assertTrue(e.getMessage().contains(folder + "  (DDP4J_CUDA_PATH): no libcublas-missing.so.13"), e.getMessage());
        assertTrue(e.getMessage().contains("DDP4J_CUDA_PATH"), e.getMessage());
        assertEquals(fake, e.spec());
    }

    @Test
    void theRealBindingsThrowTheLoadersExceptionWhenCublasIsAbsent() {
        assumeFalse(Cublas.isLoaded(), "libcublas.so.13 is installed here");
        var e = assertThrows(NativeLibraryNotFoundException.class, Cublas::cublasCreate);
        assertTrue(e.getMessage().startsWith("cuBLAS (libcublas.so.13) could not be loaded"), e.getMessage());
        assertThrows(NativeLibraryNotFoundException.class, Cublas::versionString);
        assertThrows(NativeLibraryNotFoundException.class, () -> Cublas.cublasSgemm(0, 0, 0, 1, 1, 1, 1f, 0, 1, 0, 1, 0f, 0, 1));
        assertThrows(NativeLibraryNotFoundException.class, CublasHandle::create);

        LibraryStatus status = LibraryStatus.of(Cublas.library(), Cublas::versionString);
        assertFalse(status.usable());
        assertTrue(status.problem().orElseThrow().contains("libcublas.so.13"), status.toString());
    }

    @Test
    void theRealLtBindingsThrowTheLoadersExceptionWhenCublasLtIsAbsent() {
        assumeFalse(CublasLt.isLoaded(), "libcublasLt.so.13 is installed here");
        var e = assertThrows(NativeLibraryNotFoundException.class, CublasLt::cublasLtCreate);
        assertTrue(e.getMessage().startsWith("cuBLASLt (libcublasLt.so.13) could not be loaded"), e.getMessage());
        assertThrows(NativeLibraryNotFoundException.class, CublasLt::versionString);
        assertThrows(NativeLibraryNotFoundException.class, LtMatmulPreference::create);
    }

    @Test
    void gemmExRefusesNonFloatComputeTypesBeforeCallingAnything() {
        var e = assertThrows(IllegalArgumentException.class, () -> Cublas.cublasGemmEx(0, 0, 0, 1, 1, 1, 1f, 0,
                CudaDataType.CUDA_R_64F, 1, 0, CudaDataType.CUDA_R_64F, 1, 0f, 0, CudaDataType.CUDA_R_64F, 1,
                Cublas.CUBLAS_COMPUTE_64F, Cublas.CUBLAS_GEMM_DEFAULT));
        assertTrue(e.getMessage().startsWith("cublasGemmEx: computeType 70"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cublas.cublasGemmStridedBatchedEx(0, 0, 0, 1, 1, 1, 1f, 0,
                CudaDataType.CUDA_R_16F, 1, 0, 0, CudaDataType.CUDA_R_16F, 1, 0, 0f, 0, CudaDataType.CUDA_R_16F, 1, 0, 1,
                Cublas.CUBLAS_COMPUTE_16F, Cublas.CUBLAS_GEMM_DEFAULT));
    }

    @Test
    void layoutsAreCheckedBeforeTheLibraryIsCalled() {
        var e = assertThrows(IllegalArgumentException.class, () -> LtMatrixLayout.create(CudaDataType.CUDA_R_32F, 8, 4, 7));
        assertTrue(e.getMessage().contains("ld 7") && e.getMessage().contains("rows 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LtMatrixLayout.create(CudaDataType.CUDA_R_32F, 0, 4, 7));
        assertThrows(IllegalArgumentException.class, () -> LtMatrixLayout.create(99, 8, 4, 8));
    }
}
