package io.ddp4j.bindings.loader;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * dlopen with RTLD_GLOBAL. The JVM opens libraries with local symbol visibility; a library that
 * later dlopens its own plugins which expect its symbols to be global (Open MPI's MCA components)
 * needs them global, so it is opened once more this way before use. The handle is kept for the
 * life of the process.
 */
final class GlobalLoad {
    private GlobalLoad() {}

    private static final int RTLD_NOW = 0x2, RTLD_GLOBAL = 0x100;
    private static final MethodHandle DLOPEN = Linker.nativeLinker().defaultLookup().find("dlopen")
            .map(a -> Linker.nativeLinker().downcallHandle(a, FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT)))
            .orElse(null);

    /** True when {@code file} is now open with global symbols. */
    static boolean open(Path file) {
        if (DLOPEN == null) return false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) DLOPEN.invokeExact(arena.allocateFrom(file.toString()), RTLD_NOW | RTLD_GLOBAL);
            return handle.address() != 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
