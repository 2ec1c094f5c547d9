package io.ddp4j.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Small helpers every binding uses around a downcall. */
public final class Native {
    private Native() {}

    /**
     * Rethrows what a downcall handle threw. Downcalls declare {@code Throwable}; in practice they
     * throw only the runtime exceptions of a missing library or symbol, or errors.
     */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("unexpected checked exception from a native call", t);
    }

    /** Reads a NUL-terminated C string the library owns (error strings, names); null becomes "". */
    public static String cString(MemorySegment p) {
        if (p == null || p.address() == 0) return "";
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** Reads a NUL-terminated C string at {@code address}; 0 becomes "". */
    public static String cString(long address) {
        return address == 0 ? "" : cString(MemorySegment.ofAddress(address));
    }

    /** Copies {@code s} into {@code arena} as a NUL-terminated C string and gives its address. */
    public static long cString(Arena arena, String s) {
        return arena.allocateFrom(s).address();
    }
}
