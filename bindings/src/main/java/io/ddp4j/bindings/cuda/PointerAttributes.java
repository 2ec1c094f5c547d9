package io.ddp4j.bindings.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * {@code struct cudaPointerAttributes}: {type (int), device (int), devicePointer, hostPointer}.
 * type: 0 unregistered (not CUDA memory), 1 host (pinned), 2 device, 3 managed.
 */
public record PointerAttributes(int type, int device, long devicePointer, long hostPointer) {
    public static final int cudaMemoryTypeUnregistered = 0, cudaMemoryTypeHost = 1, cudaMemoryTypeDevice = 2, cudaMemoryTypeManaged = 3;

    static PointerAttributes read(MemorySegment s) {
        return new PointerAttributes(s.get(JAVA_INT, 0), s.get(JAVA_INT, 4), s.get(JAVA_LONG, 8), s.get(JAVA_LONG, 16));
    }

    public boolean isDevice() {
        return type == cudaMemoryTypeDevice || type == cudaMemoryTypeManaged;
    }
}
