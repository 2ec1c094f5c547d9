package io.ddp4j.bindings.loader;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A native library found on the search path, or the reason it was not. Binding a function never
 * throws: when the library or the symbol is missing, the handle it gives throws the explanation
 * when called. So classes can keep their handles in {@code static final} fields (made once,
 * constant to the JIT) and still fail at first use with a clear message, never with an
 * {@code ExceptionInInitializerError}.
 */
public final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final LibrarySpec spec;
    private final SymbolLookup lookup;            // null when not found
    private final Path path;                      // where it was loaded from, null when not found
    private final RuntimeException failure;       // why it was not found, null when found

    private NativeLibrary(LibrarySpec spec, SymbolLookup lookup, Path path, RuntimeException failure) {
        this.spec = spec;
        this.lookup = lookup;
        this.path = path;
        this.failure = failure;
    }

    /** Looks for {@code spec} along {@code search}, then asks the system's dynamic loader by soname. */
    public static NativeLibrary find(LibrarySpec spec, LibrarySearchPath search) {
        List<String> attempts = new ArrayList<>();
        for (SearchPlace place : search.places(spec)) {
            Path candidate = place.folder().resolve(spec.soname());
            if (!Files.exists(candidate)) {
                attempts.add(place + ": no " + spec.soname());
                continue;
            }
            if (!isElf(candidate)) {
                attempts.add(place + ": found " + spec.soname() + " but it is not an ELF shared library");
                continue;
            }
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
                return new NativeLibrary(spec, lookup, candidate, null);
            } catch (IllegalArgumentException e) {
                attempts.add(place + ": found but dlopen failed: " + e.getMessage());
            }
        }
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(spec.soname(), Arena.global());
            return new NativeLibrary(spec, lookup, Path.of(spec.soname()), null);
        } catch (IllegalArgumentException e) {
            attempts.add("the system dynamic loader (ld.so.cache, /etc/ld.so.conf): " + e.getMessage());
        }
        return new NativeLibrary(spec, null, null, new NativeLibraryNotFoundException(spec, attempts));
    }

    /** dlopen of a file that is not a shared library can upset the JVM, so look at its magic first. */
    private static boolean isElf(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Like {@link #find(LibrarySpec, LibrarySearchPath)}, then re-opens the library with global
     * symbols, for libraries whose own plugins need them (Open MPI).
     */
    public static NativeLibrary findGlobal(LibrarySpec spec, LibrarySearchPath search) {
        NativeLibrary lib = find(spec, search);
        if (lib.isLoaded()) GlobalLoad.open(lib.path);
        return lib;
    }

    /** Loads {@code spec} for this process. */
    public static NativeLibrary find(LibrarySpec spec) {
        return find(spec, LibrarySearchPath.ofThisProcess());
    }

    public LibrarySpec spec() {
        return spec;
    }

    public boolean isLoaded() {
        return lookup != null;
    }

    /** The file it was loaded from (a bare soname when the system loader found it). */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /** Why the library could not be loaded. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Throws the load failure, if any. */
    public void require() {
        if (failure != null) throw failure;
    }

    /** The address of a global variable or function of the library, 0 when absent. */
    public long symbolAddress(String symbol) {
        return lookup == null ? 0 : lookup.find(symbol).map(MemorySegment::address).orElse(0L);
    }

    public boolean has(String symbol) {
        return lookup != null && lookup.find(symbol).isPresent();
    }

    /**
     * A downcall handle for {@code name}. When the library or the symbol is missing the handle,
     * once called, throws the reason instead.
     */
    public MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (lookup == null) return throwing(descriptor, failure);
        Optional<MemorySegment> symbol = lookup.find(name);
        if (symbol.isEmpty()) {
            return throwing(descriptor, new UnsupportedOperationException(
                    spec.displayName() + " at " + path + " has no function " + name
                            + ": this ddp4j needs a newer " + spec.displayName() + " (" + spec.soname() + ")"));
        }
        return LINKER.downcallHandle(symbol.get(), descriptor, options);
    }

    /**
     * A handle of the descriptor's type that throws a fresh copy of {@code error} whenever it is
     * called, so the stack trace shows the caller, not the loader.
     */
    private static MethodHandle throwing(FunctionDescriptor descriptor, RuntimeException error) {
        var type = descriptor.toMethodType();
        MethodHandle raise = RAISE.bindTo(error).asType(java.lang.invoke.MethodType.methodType(type.returnType()));
        return MethodHandles.dropArguments(raise, 0, type.parameterList());
    }

    private static final MethodHandle RAISE;
    static {
        try {
            RAISE = MethodHandles.lookup().findStatic(NativeLibrary.class, "raise",
                    java.lang.invoke.MethodType.methodType(Object.class, RuntimeException.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static Object raise(RuntimeException template) {
        RuntimeException fresh = switch (template) {
            case NativeLibraryNotFoundException n -> new NativeLibraryNotFoundException(n.spec(), n.attempts());
            case UnsupportedOperationException u -> new UnsupportedOperationException(u.getMessage());
            default -> template;
        };
        throw fresh;
    }

    @Override
    public String toString() {
        return spec.displayName() + (lookup != null ? " loaded from " + path : " not found");
    }
}
