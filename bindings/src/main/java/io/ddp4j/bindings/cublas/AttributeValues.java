package io.ddp4j.bindings.cublas;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.OutParams;
import java.lang.foreign.MemorySegment;

/**
 * cuBLASLt attributes are set by address and size. These put one 32- or 64-bit value into this
 * thread's scratch so the typed setters allocate nothing; the library copies the value before
 * the setter returns.
 */
final class AttributeValues {
    private AttributeValues() {}

    static final long INT_SIZE = 4, LONG_SIZE = 8;

    static long int32(int value) {
        MemorySegment s = OutParams.raw();
        s.set(JAVA_INT, 0, value);
        return s.address();
    }

    static long int64(long value) {
        MemorySegment s = OutParams.raw();
        s.set(JAVA_LONG, 0, value);
        return s.address();
    }
}
