package io.ddp4j.tensor.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes a kernel's parameter struct one 8-byte slot at a time, in the order its fields are
 * declared in {@code native/kernels} (every field there is an int64, a double or a pointer, and an
 * array takes one slot per element). The segment can be a launch's off-heap parameter block or,
 * in tests, a heap buffer.
 */
final class Slots {
    private final MemorySegment memory;
    private int next;

    Slots(MemorySegment memory) {
        this.memory = memory;
    }

    /** Starts a new struct at slot 0. */
    Slots reset() {
        next = 0;
        return this;
    }

    Slots put(long v) {
        memory.set(ValueLayout.JAVA_LONG_UNALIGNED, (long) next++ * 8, v);
        return this;
    }

    Slots putDouble(double v) {
        memory.set(ValueLayout.JAVA_DOUBLE_UNALIGNED, (long) next++ * 8, v);
        return this;
    }

    /** {@code count} slots from {@code values} (missing entries, past its end, are 0). */
    Slots put(long[] values, int count) {
        for (int i = 0; i < count; i++) put(i < values.length ? values[i] : 0);
        return this;
    }

    Slots put(int[] values, int count) {
        for (int i = 0; i < count; i++) put(i < values.length ? values[i] : 0);
        return this;
    }

    /** Slots written since the last reset. */
    int count() {
        return next;
    }

    long get(int slot) {
        return memory.get(ValueLayout.JAVA_LONG_UNALIGNED, (long) slot * 8);
    }

    double getDouble(int slot) {
        return memory.get(ValueLayout.JAVA_DOUBLE_UNALIGNED, (long) slot * 8);
    }
}
