package io.ddp4j.bindings.loader;

import java.util.List;

/**
 * A library ddp4j needs could not be loaded. The message lists every place that was tried and
 * how to point ddp4j at the library.
 */
public final class NativeLibraryNotFoundException extends RuntimeException {
    private final LibrarySpec spec;
    private final List<String> attempts;

    public NativeLibraryNotFoundException(LibrarySpec spec, List<String> attempts) {
        super(message(spec, attempts));
        this.spec = spec;
        this.attempts = List.copyOf(attempts);
    }

    public LibrarySpec spec() {
        return spec;
    }

    /** Each place tried, with what happened there. */
    public List<String> attempts() {
        return attempts;
    }

    private static String message(LibrarySpec spec, List<String> attempts) {
        StringBuilder sb = new StringBuilder();
        sb.append(spec.displayName()).append(" (").append(spec.soname()).append(") could not be loaded. Looked in:\n");
        for (String a : attempts) sb.append("  - ").append(a).append('\n');
        sb.append("Install it, or point ddp4j at the folder that holds ").append(spec.soname())
          .append(": set DDP4J_CUDA_PATH=/that/folder (several folders separated by ':'),")
          .append(" or pass -Djava.library.path=/that/folder, or add it to LD_LIBRARY_PATH.");
        return sb.toString();
    }
}
