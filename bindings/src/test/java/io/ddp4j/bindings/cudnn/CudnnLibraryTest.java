package io.ddp4j.bindings.cudnn;

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
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions, and what happens where cuDNN is missing. */
class CudnnLibraryTest {

    @Test
    void versionNumbersFormatAsReleases() {
        assertEquals("9.14.0", Cudnn.formatVersion(91400));
        assertEquals("9.6.0", Cudnn.formatVersion(90600));
        assertEquals("9.0.1", Cudnn.formatVersion(90001));
        assertEquals("9.10.2", Cudnn.formatVersion(91002));
        assertEquals("8.9.7", Cudnn.formatVersion(8907)); // cuDNN 8's encoding, in case an old one is met
    }

    @Test
    void aMissingLibraryListsWhereItLookedAndFailsAtFirstCall(@TempDir Path folder) throws Throwable {
        LibrarySpec spec = new LibrarySpec("cuDNN", "libcudnn-ddp4j-test-absent.so.9", List.of("cudnn"));
        NativeLibrary lib = NativeLibrary.find(spec, LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", folder.toString()), Map.of()));
        assertFalse(lib.isLoaded());
        String message = lib.failure().orElseThrow().getMessage();
        assertTrue(message.contains(folder.toString() + "  (DDP4J_CUDA_PATH): no libcudnn-ddp4j-test-absent.so.9"), message);
        assertTrue(message.contains("set DDP4J_CUDA_PATH="), message);
        MethodHandle create = lib.function("cudnnCreate", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        var e = assertThrows(NativeLibraryNotFoundException.class, () -> {
            int ignored = (int) create.invokeExact(0L);
        });
        assertEquals(spec, e.spec());
        LibraryStatus status = LibraryStatus.of(lib, () -> "never asked");
        assertFalse(status.usable());
        assertTrue(status.problem().orElseThrow().startsWith("cuDNN (libcudnn-ddp4j-test-absent.so.9) could not be loaded"), status.problem().get());
    }

    @Test
    void withoutCudnnEveryCallSaysHowToFindIt() {
        assumeFalse(Cudnn.isLoaded(), "cuDNN is installed here; this test is about machines without it");
        var e = assertThrows(NativeLibraryNotFoundException.class, Cudnn::cudnnCreate);
        assertTrue(e.getMessage().contains("libcudnn.so.9"), e.getMessage());
        assertThrows(NativeLibraryNotFoundException.class, CudnnHandle::create);
        assertThrows(NativeLibraryNotFoundException.class, Cudnn::versionString);
        assertThrows(NativeLibraryNotFoundException.class, () -> TensorDescriptor.nchw(CudnnConstants.CUDNN_DATA_FLOAT, 1, 1, 1, 1));
        LibraryStatus status = LibraryStatus.of(Cudnn.library(), Cudnn::versionString);
        assertFalse(status.usable());
        assertEquals("libcudnn.so.9", status.soname());
    }
}
