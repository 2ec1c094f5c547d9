package io.ddp4j.bindings.loader;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {
    private static final LibrarySpec MISSING = new LibrarySpec("cuFake", "libddp4j-no-such-lib.so.7", List.of("fake"));

    @Test
    void aMissingLibraryListsEveryPlaceItLookedAndHowToFixIt() {
        var search = LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", "/opt/here", "LD_LIBRARY_PATH", "/ld/there"), Map.of());
        NativeLibrary lib = NativeLibrary.find(MISSING, search);

        assertFalse(lib.isLoaded());
        var e = (NativeLibraryNotFoundException) lib.failure().orElseThrow();
        String m = e.getMessage();
        assertTrue(m.startsWith("cuFake (libddp4j-no-such-lib.so.7) could not be loaded"), m);
        assertTrue(m.contains("/opt/here  (DDP4J_CUDA_PATH): no libddp4j-no-such-lib.so.7"), m);
        assertTrue(m.contains("/ld/there  (LD_LIBRARY_PATH)"), m);
        assertTrue(m.contains("/usr/local/cuda/lib64  (CUDA toolkit)"), m);
        assertTrue(m.contains("the system dynamic loader"), m);
        assertTrue(m.contains("DDP4J_CUDA_PATH=") && m.contains("java.library.path") && m.contains("LD_LIBRARY_PATH"), m);
        // one line per place tried, plus the system loader
        assertEquals(search.places(MISSING).size() + 1, e.attempts().size());
    }

    @Test
    void bindingAFunctionOfAMissingLibraryFailsOnlyWhenCalled() throws Throwable {
        NativeLibrary lib = NativeLibrary.find(MISSING, LibrarySearchPath.of(Map.of(), Map.of()));
        MethodHandle h = lib.function("cuFakeCall", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
        var e = assertThrows(NativeLibraryNotFoundException.class, () -> { int ignored = (int) h.invokeExact(0L, 1); });
        assertTrue(e.getMessage().contains("libddp4j-no-such-lib.so.7"));
        // a fresh exception each call, so the stack shows the caller
        var again = assertThrows(NativeLibraryNotFoundException.class, () -> { int ignored = (int) h.invokeExact(0L, 1); });
        assertFalse(e == again);
    }

    @Test
    void aFileThatIsNotALibraryIsReportedAndSkipped(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(MISSING.soname()), "not an ELF file");
        NativeLibrary lib = NativeLibrary.find(MISSING, LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", dir.toString()), Map.of()));
        assertFalse(lib.isLoaded());
        String m = lib.failure().orElseThrow().getMessage();
        assertTrue(m.contains(dir + "  (DDP4J_CUDA_PATH): found " + MISSING.soname() + " but it is not an ELF shared library"), m);
    }

    @Test
    void aSymbolMissingFromALoadedLibraryNamesTheSymbolWhenCalled() {
        // libc is on every Linux machine: load it by soname through the system loader
        NativeLibrary libc = NativeLibrary.find(new LibrarySpec("C library", "libc.so.6", List.of()),
                LibrarySearchPath.of(Map.of(), Map.of()));
        assertTrue(libc.isLoaded());
        assertTrue(libc.has("strlen"));
        MethodHandle h = libc.function("ddp4j_not_in_libc", FunctionDescriptor.of(JAVA_INT));
        var e = assertThrows(UnsupportedOperationException.class, () -> { int ignored = (int) h.invokeExact(); });
        assertTrue(e.getMessage().contains("has no function ddp4j_not_in_libc"), e.getMessage());
    }
}
