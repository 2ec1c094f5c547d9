package io.ddp4j.bindings.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LibrarySearchPathTest {

    private static List<SearchPlace> places(Map<String, String> env, Map<String, String> props) {
        return LibrarySearchPath.of(env, props).places(LibrarySpec.CUBLAS);
    }

    private static int indexOf(List<SearchPlace> places, String folder) {
        for (int i = 0; i < places.size(); i++) if (places.get(i).folder().equals(Path.of(folder))) return i;
        return -1;
    }

    @Test
    void ddp4jCudaPathComesFirstThenJavaLibraryPathThenLdLibraryPathThenToolkitThenSystem() {
        var places = places(
                Map.of("DDP4J_CUDA_PATH", "/opt/mycuda", "LD_LIBRARY_PATH", "/ld/one:/ld/two"),
                Map.of("java.library.path", "/jlp"));
        int mine = indexOf(places, "/opt/mycuda");
        int mineLib64 = indexOf(places, "/opt/mycuda/lib64");
        int jlp = indexOf(places, "/jlp");
        int ld1 = indexOf(places, "/ld/one");
        int ld2 = indexOf(places, "/ld/two");
        int toolkit = indexOf(places, "/usr/local/cuda/lib64");
        int system = indexOf(places, "/usr/lib/x86_64-linux-gnu");
        assertEquals(0, mine);
        assertTrue(mine < mineLib64 && mineLib64 < jlp && jlp < ld1 && ld1 < ld2 && ld2 < toolkit && toolkit < system,
                () -> "order was " + places);
        assertEquals("DDP4J_CUDA_PATH", places.get(mine).origin());
        assertEquals("LD_LIBRARY_PATH", places.get(ld1).origin());
    }

    @Test
    void theDriverIsLookedForOnlyInDdp4jCudaPathBeforeTheSystemLoader() {
        var places = LibrarySearchPath.of(Map.of("DDP4J_CUDA_PATH", "/opt/emulator", "LD_LIBRARY_PATH", "/ld", "CUDA_HOME", "/opt/cuda"),
                Map.of("java.library.path", "/jlp")).places(LibrarySpec.CUDA_DRIVER);
        assertEquals(0, indexOf(places, "/opt/emulator"));
        assertTrue(places.stream().allMatch(p -> p.origin().equals("DDP4J_CUDA_PATH")), () -> "searched " + places);
    }

    @Test
    void cudaHomeIsSearchedAsAToolkit() {
        var places = places(Map.of("CUDA_HOME", "/opt/cuda-13.0"), Map.of());
        int i = indexOf(places, "/opt/cuda-13.0/lib64");
        assertTrue(i >= 0, () -> "CUDA_HOME not searched: " + places);
        assertEquals("CUDA toolkit", places.get(i).origin());
    }

    @Test
    void aFolderNamedTwiceIsSearchedOnce() {
        var places = places(Map.of("LD_LIBRARY_PATH", "/usr/local/cuda/lib64:/usr/local/cuda/lib64/"), Map.of());
        long n = places.stream().filter(p -> p.folder().equals(Path.of("/usr/local/cuda/lib64"))).count();
        assertEquals(1, n);
    }

    @Test
    void emptyAndBlankEntriesAreIgnored() {
        var places = places(Map.of("LD_LIBRARY_PATH", "::  :", "DDP4J_CUDA_PATH", ""), Map.of("java.library.path", ""));
        assertTrue(places.stream().noneMatch(p -> p.origin().equals("LD_LIBRARY_PATH") || p.origin().equals("DDP4J_CUDA_PATH")));
    }
}
