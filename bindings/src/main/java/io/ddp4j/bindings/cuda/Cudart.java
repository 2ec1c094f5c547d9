package io.ddp4j.bindings.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.Native;
import io.ddp4j.bindings.OutParams;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA runtime ({@code libcudart.so.13}), one Java method per C function with the C name and
 * argument order. Conventions, shared by every ddp4j binding:
 * <ul>
 *   <li>pointers and handles are {@code long} (declared as 64-bit integers in the downcall, which
 *       the x86-64 and AArch64 ABIs pass exactly like pointers);</li>
 *   <li>a C out-parameter becomes the return value, the other arguments keep their order;</li>
 *   <li>every status is checked: anything but {@code cudaSuccess} throws {@link io.ddp4j.bindings.CudaException};</li>
 *   <li>calls that only enqueue or query (no blocking, no callbacks) use {@code Linker.Option.critical},
 *       which skips the thread-state transition; {@link CudartUncritical} has the plain variants the
 *       benchmarks compare them with.</li>
 * </ul>
 */
public final class Cudart {
    private Cudart() {}

    static final NativeLibrary LIB = NativeLibrary.find(LibrarySpec.CUDART);
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    // cudaMemcpyKind
    public static final int cudaMemcpyHostToHost = 0, cudaMemcpyHostToDevice = 1, cudaMemcpyDeviceToHost = 2,
            cudaMemcpyDeviceToDevice = 3, cudaMemcpyDefault = 4;
    // stream, event and host-allocation flags
    public static final int cudaStreamDefault = 0, cudaStreamNonBlocking = 1;
    public static final int cudaEventDefault = 0, cudaEventBlockingSync = 1, cudaEventDisableTiming = 2;
    public static final int cudaHostAllocDefault = 0, cudaHostAllocPortable = 1, cudaHostAllocMapped = 2, cudaHostAllocWriteCombined = 4;
    // cudaStreamCaptureMode
    public static final int cudaStreamCaptureModeGlobal = 0, cudaStreamCaptureModeThreadLocal = 1, cudaStreamCaptureModeRelaxed = 2;
    // cudaDeviceAttr values ddp4j reads
    public static final int cudaDevAttrMaxThreadsPerBlock = 1, cudaDevAttrClockRate = 13, cudaDevAttrMultiProcessorCount = 16,
            cudaDevAttrPciBusId = 33, cudaDevAttrL2CacheSize = 38, cudaDevAttrComputeCapabilityMajor = 75,
            cudaDevAttrComputeCapabilityMinor = 76, cudaDevAttrMemoryPoolsSupported = 115;
    /** cudaErrorNotReady: what a query returns for work still in flight; not a failure. */
    public static final int cudaErrorNotReady = 600;

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd);
    }

    private static MethodHandle critical(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd, CRITICAL);
    }

    private static FunctionDescriptor status(java.lang.foreign.MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static final MethodHandle
            cudaGetDeviceCount = fn("cudaGetDeviceCount", status(JAVA_LONG)),
            cudaSetDevice = fn("cudaSetDevice", status(JAVA_INT)),
            cudaGetDevice = critical("cudaGetDevice", status(JAVA_LONG)),
            cudaGetDeviceProperties = fn("cudaGetDeviceProperties", status(JAVA_LONG, JAVA_INT)),
            cudaDeviceGetAttribute = fn("cudaDeviceGetAttribute", status(JAVA_LONG, JAVA_INT, JAVA_INT)),
            cudaDeviceSynchronize = fn("cudaDeviceSynchronize", status()),
            cudaDeviceCanAccessPeer = fn("cudaDeviceCanAccessPeer", status(JAVA_LONG, JAVA_INT, JAVA_INT)),
            cudaMalloc = fn("cudaMalloc", status(JAVA_LONG, JAVA_LONG)),
            cudaFree = fn("cudaFree", status(JAVA_LONG)),
            cudaMallocAsync = fn("cudaMallocAsync", status(JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cudaFreeAsync = fn("cudaFreeAsync", status(JAVA_LONG, JAVA_LONG)),
            cudaMallocHost = fn("cudaMallocHost", status(JAVA_LONG, JAVA_LONG)),
            cudaHostAlloc = fn("cudaHostAlloc", status(JAVA_LONG, JAVA_LONG, JAVA_INT)),
            cudaFreeHost = fn("cudaFreeHost", status(JAVA_LONG)),
            cudaMemGetInfo = fn("cudaMemGetInfo", status(JAVA_LONG, JAVA_LONG)),
            cudaMemcpy = fn("cudaMemcpy", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT)),
            cudaMemcpyAsync = fn("cudaMemcpyAsync", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG)),
            cudaMemset = fn("cudaMemset", status(JAVA_LONG, JAVA_INT, JAVA_LONG)),
            cudaMemsetAsync = critical("cudaMemsetAsync", status(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            cudaPointerGetAttributes = fn("cudaPointerGetAttributes", status(JAVA_LONG, JAVA_LONG)),
            cudaStreamCreateWithPriority = fn("cudaStreamCreateWithPriority", status(JAVA_LONG, JAVA_INT, JAVA_INT)),
            cudaStreamDestroy = fn("cudaStreamDestroy", status(JAVA_LONG)),
            cudaStreamSynchronize = fn("cudaStreamSynchronize", status(JAVA_LONG)),
            cudaStreamQuery = critical("cudaStreamQuery", status(JAVA_LONG)),
            cudaStreamWaitEvent = critical("cudaStreamWaitEvent", status(JAVA_LONG, JAVA_LONG, JAVA_INT)),
            cudaDeviceGetStreamPriorityRange = fn("cudaDeviceGetStreamPriorityRange", status(JAVA_LONG, JAVA_LONG)),
            cudaEventCreateWithFlags = fn("cudaEventCreateWithFlags", status(JAVA_LONG, JAVA_INT)),
            cudaEventDestroy = fn("cudaEventDestroy", status(JAVA_LONG)),
            cudaEventRecord = critical("cudaEventRecord", status(JAVA_LONG, JAVA_LONG)),
            cudaEventQuery = critical("cudaEventQuery", status(JAVA_LONG)),
            cudaEventSynchronize = fn("cudaEventSynchronize", status(JAVA_LONG)),
            cudaEventElapsedTime = fn("cudaEventElapsedTime", status(JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cudaStreamBeginCapture = fn("cudaStreamBeginCapture", status(JAVA_LONG, JAVA_INT)),
            cudaStreamEndCapture = fn("cudaStreamEndCapture", status(JAVA_LONG, JAVA_LONG)),
            cudaStreamIsCapturing = fn("cudaStreamIsCapturing", status(JAVA_LONG, JAVA_LONG)),
            cudaGraphInstantiate = fn("cudaGraphInstantiate", status(JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cudaGraphLaunch = fn("cudaGraphLaunch", status(JAVA_LONG, JAVA_LONG)),
            cudaGraphExecDestroy = fn("cudaGraphExecDestroy", status(JAVA_LONG)),
            cudaGraphDestroy = fn("cudaGraphDestroy", status(JAVA_LONG)),
            cudaLibraryLoadData = fn("cudaLibraryLoadData",
                    status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT)),
            cudaLibraryGetKernel = fn("cudaLibraryGetKernel", status(JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cudaLibraryUnload = fn("cudaLibraryUnload", status(JAVA_LONG)),
            cudaLaunchKernel = critical("cudaLaunchKernel",
                    status(JAVA_LONG, Dim3.LAYOUT, Dim3.LAYOUT, JAVA_LONG, JAVA_LONG, JAVA_LONG)),
            cudaGetLastError = critical("cudaGetLastError", status()),
            cudaPeekAtLastError = critical("cudaPeekAtLastError", status()),
            cudaGetErrorName = fn("cudaGetErrorName", FunctionDescriptor.of(ADDRESS, JAVA_INT)),
            cudaGetErrorString = fn("cudaGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT)),
            cudaRuntimeGetVersion = fn("cudaRuntimeGetVersion", status(JAVA_LONG)),
            cudaDriverGetVersion = fn("cudaDriverGetVersion", status(JAVA_LONG));

    /** The runtime library as found (or why not), for {@code ddp4j info}. */
    public static NativeLibrary library() {
        return LIB;
    }

    /** True when libcudart loaded; says nothing about GPUs (see {@link #cudaGetDeviceCount}). */
    public static boolean isLoaded() {
        return LIB.isLoaded();
    }

    static void check(int status, String call) {
        if (status != 0) throw CudaErrors.exception(call, status);
    }

    private static int readInt() {
        return OutParams.raw().get(JAVA_INT, 0);
    }

    private static long readLong() {
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    private static long out() {
        return OutParams.raw().address();
    }

    // ---- devices ----------------------------------------------------------------------------

    public static int cudaGetDeviceCount() {
        try { check((int) cudaGetDeviceCount.invokeExact(out()), "cudaGetDeviceCount"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static void cudaSetDevice(int device) {
        try { check((int) cudaSetDevice.invokeExact(device), "cudaSetDevice"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int cudaGetDevice() {
        try { check((int) cudaGetDevice.invokeExact(out()), "cudaGetDevice"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** cudaGetDeviceProperties, reduced to what ddp4j uses (the struct's layout is in {@link DeviceProperties}). */
    public static DeviceProperties cudaGetDeviceProperties(int device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment prop = arena.allocate(DeviceProperties.STRUCT_SIZE_WITH_MARGIN, 8);
            try { check((int) cudaGetDeviceProperties.invokeExact(prop.address(), device), "cudaGetDeviceProperties"); } catch (Throwable t) { throw Native.rethrow(t); }
            return DeviceProperties.read(device, prop);
        }
    }

    public static int cudaDeviceGetAttribute(int attr, int device) {
        try { check((int) cudaDeviceGetAttribute.invokeExact(out(), attr, device), "cudaDeviceGetAttribute"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static void cudaDeviceSynchronize() {
        try { check((int) cudaDeviceSynchronize.invokeExact(), "cudaDeviceSynchronize"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static boolean cudaDeviceCanAccessPeer(int device, int peerDevice) {
        try { check((int) cudaDeviceCanAccessPeer.invokeExact(out(), device, peerDevice), "cudaDeviceCanAccessPeer"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt() != 0;
    }

    // ---- memory -----------------------------------------------------------------------------

    public static long cudaMalloc(long size) {
        try { check((int) cudaMalloc.invokeExact(out(), size), "cudaMalloc"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaFree(long devPtr) {
        try { check((int) cudaFree.invokeExact(devPtr), "cudaFree"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static long cudaMallocAsync(long size, long stream) {
        try { check((int) cudaMallocAsync.invokeExact(out(), size, stream), "cudaMallocAsync"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaFreeAsync(long devPtr, long stream) {
        try { check((int) cudaFreeAsync.invokeExact(devPtr, stream), "cudaFreeAsync"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static long cudaMallocHost(long size) {
        try { check((int) cudaMallocHost.invokeExact(out(), size), "cudaMallocHost"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static long cudaHostAlloc(long size, int flags) {
        try { check((int) cudaHostAlloc.invokeExact(out(), size, flags), "cudaHostAlloc"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaFreeHost(long ptr) {
        try { check((int) cudaFreeHost.invokeExact(ptr), "cudaFreeHost"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cudaMemGetInfo: free and total bytes of the current device. */
    public static MemInfo cudaMemGetInfo() {
        MemorySegment o = OutParams.raw();
        try { check((int) cudaMemGetInfo.invokeExact(o.address(), o.address() + 8), "cudaMemGetInfo"); } catch (Throwable t) { throw Native.rethrow(t); }
        return new MemInfo(o.get(JAVA_LONG, 0), o.get(JAVA_LONG, 8));
    }

    public static void cudaMemcpy(long dst, long src, long count, int kind) {
        try { check((int) cudaMemcpy.invokeExact(dst, src, count, kind), "cudaMemcpy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaMemcpyAsync(long dst, long src, long count, int kind, long stream) {
        try { check((int) cudaMemcpyAsync.invokeExact(dst, src, count, kind, stream), "cudaMemcpyAsync"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaMemset(long devPtr, int value, long count) {
        try { check((int) cudaMemset.invokeExact(devPtr, value, count), "cudaMemset"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaMemsetAsync(long devPtr, int value, long count, long stream) {
        try { check((int) cudaMemsetAsync.invokeExact(devPtr, value, count, stream), "cudaMemsetAsync"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cudaPointerGetAttributes: what CUDA knows about an address (type 0 means "not CUDA memory"). */
    public static PointerAttributes cudaPointerGetAttributes(long ptr) {
        MemorySegment o = OutParams.zeroed();
        try { check((int) cudaPointerGetAttributes.invokeExact(o.address(), ptr), "cudaPointerGetAttributes"); } catch (Throwable t) { throw Native.rethrow(t); }
        return PointerAttributes.read(o);
    }

    // ---- streams ----------------------------------------------------------------------------

    public static long cudaStreamCreateWithPriority(int flags, int priority) {
        try { check((int) cudaStreamCreateWithPriority.invokeExact(out(), flags, priority), "cudaStreamCreateWithPriority"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaStreamDestroy(long stream) {
        try { check((int) cudaStreamDestroy.invokeExact(stream), "cudaStreamDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaStreamSynchronize(long stream) {
        try { check((int) cudaStreamSynchronize.invokeExact(stream), "cudaStreamSynchronize"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cudaStreamQuery: true when all work on the stream is done, false while some is in flight. */
    public static boolean cudaStreamQuery(long stream) {
        int st;
        try { st = (int) cudaStreamQuery.invokeExact(stream); } catch (Throwable t) { throw Native.rethrow(t); }
        if (st == cudaErrorNotReady) return false;
        check(st, "cudaStreamQuery");
        return true;
    }

    public static void cudaStreamWaitEvent(long stream, long event, int flags) {
        try { check((int) cudaStreamWaitEvent.invokeExact(stream, event, flags), "cudaStreamWaitEvent"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cudaDeviceGetStreamPriorityRange: {least, greatest}; numerically lower is a higher priority. */
    public static int[] cudaDeviceGetStreamPriorityRange() {
        MemorySegment o = OutParams.raw();
        try { check((int) cudaDeviceGetStreamPriorityRange.invokeExact(o.address(), o.address() + 4), "cudaDeviceGetStreamPriorityRange"); } catch (Throwable t) { throw Native.rethrow(t); }
        return new int[] {o.get(JAVA_INT, 0), o.get(JAVA_INT, 4)};
    }

    // ---- events -----------------------------------------------------------------------------

    public static long cudaEventCreateWithFlags(int flags) {
        try { check((int) cudaEventCreateWithFlags.invokeExact(out(), flags), "cudaEventCreateWithFlags"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaEventDestroy(long event) {
        try { check((int) cudaEventDestroy.invokeExact(event), "cudaEventDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaEventRecord(long event, long stream) {
        try { check((int) cudaEventRecord.invokeExact(event, stream), "cudaEventRecord"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cudaEventQuery: true when the work before the event is done. */
    public static boolean cudaEventQuery(long event) {
        int st;
        try { st = (int) cudaEventQuery.invokeExact(event); } catch (Throwable t) { throw Native.rethrow(t); }
        if (st == cudaErrorNotReady) return false;
        check(st, "cudaEventQuery");
        return true;
    }

    public static void cudaEventSynchronize(long event) {
        try { check((int) cudaEventSynchronize.invokeExact(event), "cudaEventSynchronize"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Milliseconds between two recorded events (both created without cudaEventDisableTiming). */
    public static float cudaEventElapsedTime(long start, long end) {
        try { check((int) cudaEventElapsedTime.invokeExact(out(), start, end), "cudaEventElapsedTime"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_FLOAT, 0);
    }

    // ---- graphs -----------------------------------------------------------------------------

    public static void cudaStreamBeginCapture(long stream, int mode) {
        try { check((int) cudaStreamBeginCapture.invokeExact(stream, mode), "cudaStreamBeginCapture"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Ends a capture and returns the captured {@code cudaGraph_t}. */
    public static long cudaStreamEndCapture(long stream) {
        try { check((int) cudaStreamEndCapture.invokeExact(stream, out()), "cudaStreamEndCapture"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    /** cudaStreamIsCapturing: the cudaStreamCaptureStatus (0 none, 1 active, 2 invalidated). */
    public static int cudaStreamIsCapturing(long stream) {
        try { check((int) cudaStreamIsCapturing.invokeExact(stream, out()), "cudaStreamIsCapturing"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static long cudaGraphInstantiate(long graph, long flags) {
        try { check((int) cudaGraphInstantiate.invokeExact(out(), graph, flags), "cudaGraphInstantiate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudaGraphLaunch(long graphExec, long stream) {
        try { check((int) cudaGraphLaunch.invokeExact(graphExec, stream), "cudaGraphLaunch"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaGraphExecDestroy(long graphExec) {
        try { check((int) cudaGraphExecDestroy.invokeExact(graphExec), "cudaGraphExecDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudaGraphDestroy(long graph) {
        try { check((int) cudaGraphDestroy.invokeExact(graph), "cudaGraphDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- kernels ----------------------------------------------------------------------------

    /** cudaLibraryLoadData without JIT or library options: {@code code} is a fatbin, cubin or PTX image. */
    public static long cudaLibraryLoadData(MemorySegment code) {
        try { check((int) cudaLibraryLoadData.invokeExact(out(), code.address(), 0L, 0L, 0, 0L, 0L, 0), "cudaLibraryLoadData"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static long cudaLibraryGetKernel(long library, String name) {
        try (Arena arena = Arena.ofConfined()) {
            long cname = Native.cString(arena, name);
            try { check((int) cudaLibraryGetKernel.invokeExact(out(), library, cname), "cudaLibraryGetKernel(" + name + ")"); } catch (Throwable t) { throw Native.rethrow(t); }
            return readLong();
        }
    }

    public static void cudaLibraryUnload(long library) {
        try { check((int) cudaLibraryUnload.invokeExact(library), "cudaLibraryUnload"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * cudaLaunchKernel with a {@code cudaKernel_t} as {@code func}; {@code gridDim} and {@code blockDim}
     * are {@link Dim3} segments and {@code args} the address of a {@code void*[]} of argument addresses.
     */
    public static void cudaLaunchKernel(long func, MemorySegment gridDim, MemorySegment blockDim, long args, long sharedMem, long stream) {
        try { check((int) cudaLaunchKernel.invokeExact(func, gridDim, blockDim, args, sharedMem, stream), "cudaLaunchKernel"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- errors and versions ----------------------------------------------------------------

    /** cudaGetLastError: the last error of this thread's runtime calls, and resets it to cudaSuccess. */
    public static int cudaGetLastError() {
        try { return (int) cudaGetLastError.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int cudaPeekAtLastError() {
        try { return (int) cudaPeekAtLastError.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static String cudaGetErrorName(int error) {
        try { return Native.cString((MemorySegment) cudaGetErrorName.invokeExact(error)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static String cudaGetErrorString(int error) {
        try { return Native.cString((MemorySegment) cudaGetErrorString.invokeExact(error)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** e.g. 13000 for CUDA 13.0. */
    public static int cudaRuntimeGetVersion() {
        try { check((int) cudaRuntimeGetVersion.invokeExact(out()), "cudaRuntimeGetVersion"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** The newest CUDA the installed driver supports (0 with no driver). */
    public static int cudaDriverGetVersion() {
        try { check((int) cudaDriverGetVersion.invokeExact(out()), "cudaDriverGetVersion"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }
}
