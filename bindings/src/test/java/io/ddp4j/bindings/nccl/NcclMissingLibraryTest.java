package io.ddp4j.bindings.nccl;

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

/** Without libnccl the binding must fail at first use with the loader's explanation, never crash. */
class NcclMissingLibraryTest {

    private static final LibrarySpec NO_SUCH_NCCL =
            new LibrarySpec("NCCL", "libnccl-ddp4j-test-absent.so.2", List.of("nccl"));

    @Test
    void aMissingNcclListsWhereItLooked(@TempDir Path folder) {
        NativeLibrary lib = NativeLibrary.find(NO_SUCH_NCCL,
                LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", folder.toString()), Map.of()));
        assertFalse(lib.isLoaded());
        String message = lib.failure().orElseThrow().getMessage();
        assertTrue(message.contains("libnccl-ddp4j-test-absent.so.2"), message);
        assertTrue(message.contains(folder.toString()) && message.contains("DDP4J_CUDA_PATH"), message);
    }

    @Test
    void callingAFunctionOfAMissingNcclThrowsTheExplanation(@TempDir Path folder) throws Throwable {
        NativeLibrary lib = NativeLibrary.find(NO_SUCH_NCCL,
                LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", folder.toString()), Map.of()));
        MethodHandle getVersion = lib.function("ncclGetVersion", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
        var e = assertThrows(NativeLibraryNotFoundException.class, () -> { int unused = (int) getVersion.invokeExact(0L); });
        assertEquals(NO_SUCH_NCCL, e.spec());
    }

    @Test
    void theBindingFailsCleanlyWhenThisMachineHasNoNccl() {
        assumeFalse(Nccl.isLoaded(), "libnccl.so.2 is installed here");
        var e = assertThrows(NativeLibraryNotFoundException.class, Nccl::ncclGetVersion);
        assertTrue(e.getMessage().contains("libnccl.so.2"), e.getMessage());
        assertThrows(NativeLibraryNotFoundException.class, Nccl::versionString);
        assertThrows(NativeLibraryNotFoundException.class, Nccl::ncclGetUniqueId);
        assertThrows(NativeLibraryNotFoundException.class, () -> Nccl.ncclCommGetAsyncError(0L));
        assertThrows(NativeLibraryNotFoundException.class,
                () -> Nccl.ncclCommInitRank(1, NcclUniqueId.fromBytes(new byte[128]), 0));
        LibraryStatus status = LibraryStatus.of(Nccl.library(), Nccl::versionString);
        assertFalse(status.usable());
        assertTrue(status.problem().orElseThrow().contains("libnccl.so.2"), status.problem().orElseThrow());
    }
}
