package io.ddp4j.bindings;

import io.ddp4j.bindings.loader.NativeLibrary;
import io.ddp4j.bindings.loader.NativeLibraryNotFoundException;
import java.util.Optional;
import java.util.function.Supplier;

/** One library as {@code ddp4j info} reports it: where it was loaded from and its version, or why not. */
public record LibraryStatus(String name, String soname, Optional<String> loadedFrom, Optional<String> version, Optional<String> problem) {

    /** The status of {@code lib}, asking {@code version} only when it loaded. */
    public static LibraryStatus of(NativeLibrary lib, Supplier<String> version) {
        String name = lib.spec().displayName();
        String soname = lib.spec().soname();
        if (!lib.isLoaded()) {
            String why = lib.failure().map(f -> f instanceof NativeLibraryNotFoundException n
                    ? "not found: " + n.attempts().size() + " places searched (ddp4j info --verbose lists them)"
                    : firstLine(f.getMessage())).orElse("not loaded");
            return new LibraryStatus(name, soname, Optional.empty(), Optional.empty(), Optional.of(why));
        }
        String from = lib.path().map(Object::toString).orElse(soname);
        try {
            return new LibraryStatus(name, soname, Optional.of(from), Optional.of(version.get()), Optional.empty());
        } catch (RuntimeException e) {
            return new LibraryStatus(name, soname, Optional.of(from), Optional.empty(), Optional.of(firstLine(e.getMessage())));
        }
    }

    public boolean usable() {
        return loadedFrom.isPresent() && problem.isEmpty();
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
