package io.ddp4j.bindings.cuda;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.Native;
import io.ddp4j.bindings.OutParams;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

/**
 * The calls {@link Cudart} makes with {@code Linker.Option.critical}, bound the ordinary way.
 * They exist so the benchmarks can measure what the critical option saves per call.
 */
public final class CudartUncritical {
    private CudartUncritical() {}

    private static final MethodHandle cudaGetDevice =
            Cudart.LIB.function("cudaGetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cudaMemsetAsync =
            Cudart.LIB.function("cudaMemsetAsync", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));

    public static int cudaGetDevice() {
        try { Cudart.check((int) cudaGetDevice.invokeExact(OutParams.raw().address()), "cudaGetDevice"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_INT, 0);
    }

    public static void cudaMemsetAsync(long devPtr, int value, long count, long stream) {
        try { Cudart.check((int) cudaMemsetAsync.invokeExact(devPtr, value, count, stream), "cudaMemsetAsync"); } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
