package io.ddp4j.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.loader.LibrarySearchPath;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LibraryStatusTest {

    @Test
    void aMissingLibraryIsOneLineWithTheNumberOfPlacesSearched() {
        var search = LibrarySearchPath.of(Map.of("LD_LIBRARY_PATH", "/a:/b"), Map.of());
        var spec = new LibrarySpec("cuFake", "libddp4j-no-such-lib.so.1", List.of());
        LibraryStatus s = LibraryStatus.of(NativeLibrary.find(spec, search), () -> "never asked");
        assertFalse(s.usable());
        assertTrue(s.version().isEmpty());
        int places = search.places(spec).size() + 1;
        assertEquals("not found: " + places + " places searched (ddp4j info --verbose lists them)", s.problem().orElseThrow());
    }

    @Test
    void aLoadedLibraryWhoseVersionCallFailsIsReportedAsAProblem() {
        var libc = NativeLibrary.find(new LibrarySpec("C library", "libc.so.6", List.of()), LibrarySearchPath.of(Map.of(), Map.of()));
        LibraryStatus s = LibraryStatus.of(libc, () -> { throw new IllegalStateException("no version\nsecond line"); });
        assertTrue(s.loadedFrom().isPresent());
        assertEquals("no version", s.problem().orElseThrow());
        assertFalse(s.usable());
        assertTrue(LibraryStatus.of(libc, () -> "2.36").usable());
    }
}
