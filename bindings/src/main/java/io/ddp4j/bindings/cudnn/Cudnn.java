package io.ddp4j.bindings.cudnn;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.Native;
import io.ddp4j.bindings.OutParams;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * cuDNN 9 ({@code libcudnn.so.9}), the legacy ("v7-style") API that convolution, pooling,
 * activation and batch norm still use: one Java method per C function, C name and argument order,
 * the conventions of {@link io.ddp4j.bindings.cuda.Cudart}. In cuDNN 9 {@code libcudnn.so.9} is a
 * shim that exports every function and loads the sub-libraries ({@code libcudnn_ops},
 * {@code libcudnn_cnn}, {@code libcudnn_graph}) that implement them. cuDNN 9 marks almost all of
 * these functions deprecated; they are still exported and supported through 9.x.
 * <p>
 * Scaling factors ({@code alpha}, {@code beta}) are host pointers as in C; {@link CudnnScalars}
 * writes Java values there in the width cuDNN reads for the tensors' data type. No call here uses
 * {@code Linker.Option.critical}: cuDNN calls may allocate, compile kernels or run a search.
 */
public final class Cudnn {
    private Cudnn() {}

    static final NativeLibrary LIB = NativeLibrary.find(LibrarySpec.CUDNN);

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd);
    }

    private static FunctionDescriptor status(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static final MemoryLayout J = JAVA_LONG, I = JAVA_INT, D = JAVA_DOUBLE;

    private static final MethodHandle
            cudnnGetVersion = fn("cudnnGetVersion", FunctionDescriptor.of(J)),
            cudnnGetCudartVersion = fn("cudnnGetCudartVersion", FunctionDescriptor.of(J)),
            cudnnGetErrorString = fn("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, I)),
            cudnnGetLastErrorString = fn("cudnnGetLastErrorString", FunctionDescriptor.ofVoid(J, J)),
            cudnnCreate = fn("cudnnCreate", status(J)),
            cudnnDestroy = fn("cudnnDestroy", status(J)),
            cudnnSetStream = fn("cudnnSetStream", status(J, J)),
            cudnnGetStream = fn("cudnnGetStream", status(J, J)),
            // tensors
            cudnnCreateTensorDescriptor = fn("cudnnCreateTensorDescriptor", status(J)),
            cudnnSetTensor4dDescriptor = fn("cudnnSetTensor4dDescriptor", status(J, I, I, I, I, I, I)),
            cudnnSetTensor4dDescriptorEx = fn("cudnnSetTensor4dDescriptorEx", status(J, I, I, I, I, I, I, I, I, I)),
            cudnnSetTensorNdDescriptor = fn("cudnnSetTensorNdDescriptor", status(J, I, I, J, J)),
            cudnnGetTensorSizeInBytes = fn("cudnnGetTensorSizeInBytes", status(J, J)),
            cudnnDestroyTensorDescriptor = fn("cudnnDestroyTensorDescriptor", status(J)),
            cudnnSetTensor = fn("cudnnSetTensor", status(J, J, J, J)),
            cudnnAddTensor = fn("cudnnAddTensor", status(J, J, J, J, J, J, J)),
            // filters
            cudnnCreateFilterDescriptor = fn("cudnnCreateFilterDescriptor", status(J)),
            cudnnSetFilter4dDescriptor = fn("cudnnSetFilter4dDescriptor", status(J, I, I, I, I, I, I)),
            cudnnDestroyFilterDescriptor = fn("cudnnDestroyFilterDescriptor", status(J)),
            // convolution descriptors
            cudnnCreateConvolutionDescriptor = fn("cudnnCreateConvolutionDescriptor", status(J)),
            cudnnSetConvolution2dDescriptor = fn("cudnnSetConvolution2dDescriptor", status(J, I, I, I, I, I, I, I, I)),
            cudnnSetConvolutionGroupCount = fn("cudnnSetConvolutionGroupCount", status(J, I)),
            cudnnSetConvolutionMathType = fn("cudnnSetConvolutionMathType", status(J, I)),
            cudnnDestroyConvolutionDescriptor = fn("cudnnDestroyConvolutionDescriptor", status(J)),
            cudnnGetConvolution2dForwardOutputDim = fn("cudnnGetConvolution2dForwardOutputDim", status(J, J, J, J, J, J, J)),
            // algorithm search and workspace sizing
            cudnnGetConvolutionForwardAlgorithmMaxCount = fn("cudnnGetConvolutionForwardAlgorithmMaxCount", status(J, J)),
            cudnnGetConvolutionBackwardDataAlgorithmMaxCount = fn("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", status(J, J)),
            cudnnGetConvolutionBackwardFilterAlgorithmMaxCount = fn("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", status(J, J)),
            cudnnGetConvolutionForwardAlgorithm_v7 = fn("cudnnGetConvolutionForwardAlgorithm_v7", status(J, J, J, J, J, I, J, J)),
            cudnnGetConvolutionBackwardDataAlgorithm_v7 = fn("cudnnGetConvolutionBackwardDataAlgorithm_v7", status(J, J, J, J, J, I, J, J)),
            cudnnGetConvolutionBackwardFilterAlgorithm_v7 = fn("cudnnGetConvolutionBackwardFilterAlgorithm_v7", status(J, J, J, J, J, I, J, J)),
            cudnnFindConvolutionForwardAlgorithm = fn("cudnnFindConvolutionForwardAlgorithm", status(J, J, J, J, J, I, J, J)),
            cudnnFindConvolutionBackwardDataAlgorithm = fn("cudnnFindConvolutionBackwardDataAlgorithm", status(J, J, J, J, J, I, J, J)),
            cudnnFindConvolutionBackwardFilterAlgorithm = fn("cudnnFindConvolutionBackwardFilterAlgorithm", status(J, J, J, J, J, I, J, J)),
            cudnnFindConvolutionForwardAlgorithmEx = fn("cudnnFindConvolutionForwardAlgorithmEx", status(J, J, J, J, J, J, J, J, I, J, J, J, J)),
            cudnnFindConvolutionBackwardDataAlgorithmEx = fn("cudnnFindConvolutionBackwardDataAlgorithmEx", status(J, J, J, J, J, J, J, J, I, J, J, J, J)),
            cudnnFindConvolutionBackwardFilterAlgorithmEx = fn("cudnnFindConvolutionBackwardFilterAlgorithmEx", status(J, J, J, J, J, J, J, J, I, J, J, J, J)),
            cudnnGetConvolutionForwardWorkspaceSize = fn("cudnnGetConvolutionForwardWorkspaceSize", status(J, J, J, J, J, I, J)),
            cudnnGetConvolutionBackwardDataWorkspaceSize = fn("cudnnGetConvolutionBackwardDataWorkspaceSize", status(J, J, J, J, J, I, J)),
            cudnnGetConvolutionBackwardFilterWorkspaceSize = fn("cudnnGetConvolutionBackwardFilterWorkspaceSize", status(J, J, J, J, J, I, J)),
            // convolution passes
            cudnnConvolutionForward = fn("cudnnConvolutionForward", status(J, J, J, J, J, J, J, I, J, J, J, J, J)),
            cudnnConvolutionBackwardData = fn("cudnnConvolutionBackwardData", status(J, J, J, J, J, J, J, I, J, J, J, J, J)),
            cudnnConvolutionBackwardFilter = fn("cudnnConvolutionBackwardFilter", status(J, J, J, J, J, J, J, I, J, J, J, J, J)),
            cudnnConvolutionBackwardBias = fn("cudnnConvolutionBackwardBias", status(J, J, J, J, J, J, J)),
            // pooling
            cudnnCreatePoolingDescriptor = fn("cudnnCreatePoolingDescriptor", status(J)),
            cudnnSetPooling2dDescriptor = fn("cudnnSetPooling2dDescriptor", status(J, I, I, I, I, I, I, I, I)),
            cudnnGetPooling2dForwardOutputDim = fn("cudnnGetPooling2dForwardOutputDim", status(J, J, J, J, J, J)),
            cudnnDestroyPoolingDescriptor = fn("cudnnDestroyPoolingDescriptor", status(J)),
            cudnnPoolingForward = fn("cudnnPoolingForward", status(J, J, J, J, J, J, J, J)),
            cudnnPoolingBackward = fn("cudnnPoolingBackward", status(J, J, J, J, J, J, J, J, J, J, J, J)),
            // activation
            cudnnCreateActivationDescriptor = fn("cudnnCreateActivationDescriptor", status(J)),
            cudnnSetActivationDescriptor = fn("cudnnSetActivationDescriptor", status(J, I, I, D)),
            cudnnDestroyActivationDescriptor = fn("cudnnDestroyActivationDescriptor", status(J)),
            cudnnActivationForward = fn("cudnnActivationForward", status(J, J, J, J, J, J, J, J)),
            cudnnActivationBackward = fn("cudnnActivationBackward", status(J, J, J, J, J, J, J, J, J, J, J, J)),
            // batch normalization
            cudnnDeriveBNTensorDescriptor = fn("cudnnDeriveBNTensorDescriptor", status(J, J, I)),
            cudnnBatchNormalizationForwardTraining = fn("cudnnBatchNormalizationForwardTraining",
                    status(J, I, J, J, J, J, J, J, J, J, J, D, J, J, D, J, J)),
            cudnnBatchNormalizationForwardInference = fn("cudnnBatchNormalizationForwardInference",
                    status(J, I, J, J, J, J, J, J, J, J, J, J, J, D)),
            cudnnBatchNormalizationBackward = fn("cudnnBatchNormalizationBackward",
                    status(J, I, J, J, J, J, J, J, J, J, J, J, J, J, J, J, D, J, J));

    /** cuDNN as found (or why not), for {@code ddp4j info}. */
    public static NativeLibrary library() {
        return LIB;
    }

    public static boolean isLoaded() {
        return LIB.isLoaded();
    }

    /** The loaded cuDNN's version, e.g. "9.14.0", for {@code ddp4j info}. */
    public static String versionString() {
        return formatVersion(cudnnGetVersion());
    }

    /** cuDNN 9 encodes its version as major*10000 + minor*100 + patch; cuDNN 8 used major*1000 + minor*100 + patch. */
    static String formatVersion(long version) {
        if (version >= 90000) return version / 10000 + "." + version % 10000 / 100 + "." + version % 100;
        return version / 1000 + "." + version % 1000 / 100 + "." + version % 100;
    }

    static void check(int status, String call) {
        if (status != CudnnConstants.CUDNN_STATUS_SUCCESS) throw CudnnErrors.exception(call, status);
    }

    private static long out() {
        return OutParams.raw().address();
    }

    private static int readInt() {
        return OutParams.raw().get(JAVA_INT, 0);
    }

    private static long readLong() {
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    // ---- library, handle, stream --------------------------------------------------------------

    /** e.g. 91400 for cuDNN 9.14.0. */
    public static long cudnnGetVersion() {
        try { return (long) cudnnGetVersion.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** The CUDA runtime version cuDNN was built against, e.g. 13000. */
    public static long cudnnGetCudartVersion() {
        try { return (long) cudnnGetCudartVersion.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** cuDNN's text for a status (in practice the status's name). */
    public static String cudnnGetErrorString(int status) {
        try { return Native.cString((MemorySegment) cudnnGetErrorString.invokeExact(status)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** The detailed message of this thread's most recent cuDNN error ("" when there is none). */
    public static String cudnnGetLastErrorString() {
        MemorySegment buffer = OutParams.zeroed();
        // one byte fewer than the buffer, so a NUL always ends what cuDNN wrote
        try { cudnnGetLastErrorString.invokeExact(buffer.address(), OutParams.SIZE - 1); } catch (Throwable t) { throw Native.rethrow(t); }
        return buffer.getString(0);
    }

    /** cudnnCreate: a handle on the current device. */
    public static long cudnnCreate() {
        try { check((int) cudnnCreate.invokeExact(out()), "cudnnCreate"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudnnDestroy(long handle) {
        try { check((int) cudnnDestroy.invokeExact(handle), "cudnnDestroy"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnSetStream(long handle, long stream) {
        try { check((int) cudnnSetStream.invokeExact(handle, stream), "cudnnSetStream"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static long cudnnGetStream(long handle) {
        try { check((int) cudnnGetStream.invokeExact(handle, out()), "cudnnGetStream"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    // ---- tensor descriptors -------------------------------------------------------------------

    public static long cudnnCreateTensorDescriptor() {
        try { check((int) cudnnCreateTensorDescriptor.invokeExact(out()), "cudnnCreateTensorDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    /** Note the order: format, then data type (the filter version has them the other way round). */
    public static void cudnnSetTensor4dDescriptor(long tensorDesc, int format, int dataType, int n, int c, int h, int w) {
        try { check((int) cudnnSetTensor4dDescriptor.invokeExact(tensorDesc, format, dataType, n, c, h, w), "cudnnSetTensor4dDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnSetTensor4dDescriptorEx(long tensorDesc, int dataType, int n, int c, int h, int w,
                                                    int nStride, int cStride, int hStride, int wStride) {
        try { check((int) cudnnSetTensor4dDescriptorEx.invokeExact(tensorDesc, dataType, n, c, h, w, nStride, cStride, hStride, wStride), "cudnnSetTensor4dDescriptorEx"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** {@code nbDims} is {@code dimA.length}, which must equal {@code strideA.length}. */
    public static void cudnnSetTensorNdDescriptor(long tensorDesc, int dataType, int[] dimA, int[] strideA) {
        if (dimA.length != strideA.length) {
            throw new IllegalArgumentException("cudnnSetTensorNdDescriptor: " + dimA.length + " dimensions but " + strideA.length + " strides");
        }
        try (Arena arena = Arena.ofConfined()) {
            long dims = arena.allocateFrom(JAVA_INT, dimA).address();
            long strides = arena.allocateFrom(JAVA_INT, strideA).address();
            try { check((int) cudnnSetTensorNdDescriptor.invokeExact(tensorDesc, dataType, dimA.length, dims, strides), "cudnnSetTensorNdDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        }
    }

    public static long cudnnGetTensorSizeInBytes(long tensorDesc) {
        try { check((int) cudnnGetTensorSizeInBytes.invokeExact(tensorDesc, out()), "cudnnGetTensorSizeInBytes"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudnnDestroyTensorDescriptor(long tensorDesc) {
        try { check((int) cudnnDestroyTensorDescriptor.invokeExact(tensorDesc), "cudnnDestroyTensorDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** y[i] = *valuePtr; {@code valuePtr} is a host pointer of the tensor's own data type. */
    public static void cudnnSetTensor(long handle, long yDesc, long y, long valuePtr) {
        try { check((int) cudnnSetTensor.invokeExact(handle, yDesc, y, valuePtr), "cudnnSetTensor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** C = alpha * A + beta * C, broadcasting A (e.g. a 1xCx1x1 bias) over C. */
    public static void cudnnAddTensor(long handle, long alpha, long aDesc, long a, long beta, long cDesc, long c) {
        try { check((int) cudnnAddTensor.invokeExact(handle, alpha, aDesc, a, beta, cDesc, c), "cudnnAddTensor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- filter descriptors -------------------------------------------------------------------

    public static long cudnnCreateFilterDescriptor() {
        try { check((int) cudnnCreateFilterDescriptor.invokeExact(out()), "cudnnCreateFilterDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    /** k output channels, c input channels per group, h x w window. Data type first, then format. */
    public static void cudnnSetFilter4dDescriptor(long filterDesc, int dataType, int format, int k, int c, int h, int w) {
        try { check((int) cudnnSetFilter4dDescriptor.invokeExact(filterDesc, dataType, format, k, c, h, w), "cudnnSetFilter4dDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnDestroyFilterDescriptor(long filterDesc) {
        try { check((int) cudnnDestroyFilterDescriptor.invokeExact(filterDesc), "cudnnDestroyFilterDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- convolution descriptors --------------------------------------------------------------

    public static long cudnnCreateConvolutionDescriptor() {
        try { check((int) cudnnCreateConvolutionDescriptor.invokeExact(out()), "cudnnCreateConvolutionDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    /** {@code u}, {@code v}: vertical and horizontal stride; {@code computeType}: the accumulation data type. */
    public static void cudnnSetConvolution2dDescriptor(long convDesc, int padH, int padW, int u, int v,
                                                       int dilationH, int dilationW, int mode, int computeType) {
        try { check((int) cudnnSetConvolution2dDescriptor.invokeExact(convDesc, padH, padW, u, v, dilationH, dilationW, mode, computeType), "cudnnSetConvolution2dDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnSetConvolutionGroupCount(long convDesc, int groupCount) {
        try { check((int) cudnnSetConvolutionGroupCount.invokeExact(convDesc, groupCount), "cudnnSetConvolutionGroupCount"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnSetConvolutionMathType(long convDesc, int mathType) {
        try { check((int) cudnnSetConvolutionMathType.invokeExact(convDesc, mathType), "cudnnSetConvolutionMathType"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnDestroyConvolutionDescriptor(long convDesc) {
        try { check((int) cudnnDestroyConvolutionDescriptor.invokeExact(convDesc), "cudnnDestroyConvolutionDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** The output's {n, c, h, w}. */
    public static int[] cudnnGetConvolution2dForwardOutputDim(long convDesc, long inputTensorDesc, long filterDesc) {
        long o = out();
        try { check((int) cudnnGetConvolution2dForwardOutputDim.invokeExact(convDesc, inputTensorDesc, filterDesc, o, o + 4, o + 8, o + 12), "cudnnGetConvolution2dForwardOutputDim"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInts(4);
    }

    private static int[] readInts(int count) {
        MemorySegment s = OutParams.raw();
        int[] r = new int[count];
        for (int i = 0; i < count; i++) r[i] = s.get(JAVA_INT, 4L * i);
        return r;
    }

    // ---- algorithm search ---------------------------------------------------------------------

    public static int cudnnGetConvolutionForwardAlgorithmMaxCount(long handle) {
        try { check((int) cudnnGetConvolutionForwardAlgorithmMaxCount.invokeExact(handle, out()), "cudnnGetConvolutionForwardAlgorithmMaxCount"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int cudnnGetConvolutionBackwardDataAlgorithmMaxCount(long handle) {
        try { check((int) cudnnGetConvolutionBackwardDataAlgorithmMaxCount.invokeExact(handle, out()), "cudnnGetConvolutionBackwardDataAlgorithmMaxCount"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(long handle) {
        try { check((int) cudnnGetConvolutionBackwardFilterAlgorithmMaxCount.invokeExact(handle, out()), "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** One search call: C writes up to {@code requested} perf structs and the count it wrote. */
    @FunctionalInterface
    private interface Search {
        int call(long returnedCount, long perfResults) throws Throwable;
    }

    private static List<ConvolutionAlgoPerf> search(String call, int requested, Search search) {
        if (requested <= 0) throw new IllegalArgumentException(call + ": requestedAlgoCount must be positive, got " + requested);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment results = arena.allocate(ConvolutionAlgoPerf.LAYOUT, requested);
            MemorySegment count = arena.allocate(JAVA_INT);
            try { check(search.call(count.address(), results.address()), call); } catch (Throwable t) { throw Native.rethrow(t); }
            int n = Math.min(count.get(JAVA_INT, 0), requested);
            List<ConvolutionAlgoPerf> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(ConvolutionAlgoPerf.read(results, i));
            return List.copyOf(out);
        }
    }

    /** Heuristic ranking (nothing runs), best first. */
    public static List<ConvolutionAlgoPerf> cudnnGetConvolutionForwardAlgorithm_v7(long handle, long srcDesc, long filterDesc, long convDesc, long destDesc, int requestedAlgoCount) {
        return search("cudnnGetConvolutionForwardAlgorithm_v7", requestedAlgoCount,
                (n, p) -> (int) cudnnGetConvolutionForwardAlgorithm_v7.invokeExact(handle, srcDesc, filterDesc, convDesc, destDesc, requestedAlgoCount, n, p));
    }

    public static List<ConvolutionAlgoPerf> cudnnGetConvolutionBackwardDataAlgorithm_v7(long handle, long filterDesc, long diffDesc, long convDesc, long gradDesc, int requestedAlgoCount) {
        return search("cudnnGetConvolutionBackwardDataAlgorithm_v7", requestedAlgoCount,
                (n, p) -> (int) cudnnGetConvolutionBackwardDataAlgorithm_v7.invokeExact(handle, filterDesc, diffDesc, convDesc, gradDesc, requestedAlgoCount, n, p));
    }

    public static List<ConvolutionAlgoPerf> cudnnGetConvolutionBackwardFilterAlgorithm_v7(long handle, long srcDesc, long diffDesc, long convDesc, long gradDesc, int requestedAlgoCount) {
        return search("cudnnGetConvolutionBackwardFilterAlgorithm_v7", requestedAlgoCount,
                (n, p) -> (int) cudnnGetConvolutionBackwardFilterAlgorithm_v7.invokeExact(handle, srcDesc, diffDesc, convDesc, gradDesc, requestedAlgoCount, n, p));
    }

    /** Runs and times every algorithm on buffers cuDNN allocates itself; fastest first. */
    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionForwardAlgorithm(long handle, long xDesc, long wDesc, long convDesc, long yDesc, int requestedAlgoCount) {
        return search("cudnnFindConvolutionForwardAlgorithm", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionForwardAlgorithm.invokeExact(handle, xDesc, wDesc, convDesc, yDesc, requestedAlgoCount, n, p));
    }

    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionBackwardDataAlgorithm(long handle, long wDesc, long dyDesc, long convDesc, long dxDesc, int requestedAlgoCount) {
        return search("cudnnFindConvolutionBackwardDataAlgorithm", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionBackwardDataAlgorithm.invokeExact(handle, wDesc, dyDesc, convDesc, dxDesc, requestedAlgoCount, n, p));
    }

    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionBackwardFilterAlgorithm(long handle, long xDesc, long dyDesc, long convDesc, long dwDesc, int requestedAlgoCount) {
        return search("cudnnFindConvolutionBackwardFilterAlgorithm", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionBackwardFilterAlgorithm.invokeExact(handle, xDesc, dyDesc, convDesc, dwDesc, requestedAlgoCount, n, p));
    }

    /** Runs and times every algorithm on the caller's buffers and workspace ({@code y} is overwritten). */
    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionForwardAlgorithmEx(long handle, long xDesc, long x, long wDesc, long w, long convDesc, long yDesc, long y,
                                                                                int requestedAlgoCount, long workSpace, long workSpaceSizeInBytes) {
        return search("cudnnFindConvolutionForwardAlgorithmEx", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionForwardAlgorithmEx.invokeExact(handle, xDesc, x, wDesc, w, convDesc, yDesc, y, requestedAlgoCount, n, p, workSpace, workSpaceSizeInBytes));
    }

    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionBackwardDataAlgorithmEx(long handle, long wDesc, long w, long dyDesc, long dy, long convDesc, long dxDesc, long dx,
                                                                                     int requestedAlgoCount, long workSpace, long workSpaceSizeInBytes) {
        return search("cudnnFindConvolutionBackwardDataAlgorithmEx", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionBackwardDataAlgorithmEx.invokeExact(handle, wDesc, w, dyDesc, dy, convDesc, dxDesc, dx, requestedAlgoCount, n, p, workSpace, workSpaceSizeInBytes));
    }

    public static List<ConvolutionAlgoPerf> cudnnFindConvolutionBackwardFilterAlgorithmEx(long handle, long xDesc, long x, long dyDesc, long dy, long convDesc, long dwDesc, long dw,
                                                                                       int requestedAlgoCount, long workSpace, long workSpaceSizeInBytes) {
        return search("cudnnFindConvolutionBackwardFilterAlgorithmEx", requestedAlgoCount,
                (n, p) -> (int) cudnnFindConvolutionBackwardFilterAlgorithmEx.invokeExact(handle, xDesc, x, dyDesc, dy, convDesc, dwDesc, dw, requestedAlgoCount, n, p, workSpace, workSpaceSizeInBytes));
    }

    public static long cudnnGetConvolutionForwardWorkspaceSize(long handle, long xDesc, long wDesc, long convDesc, long yDesc, int algo) {
        try { check((int) cudnnGetConvolutionForwardWorkspaceSize.invokeExact(handle, xDesc, wDesc, convDesc, yDesc, algo, out()), "cudnnGetConvolutionForwardWorkspaceSize"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static long cudnnGetConvolutionBackwardDataWorkspaceSize(long handle, long wDesc, long dyDesc, long convDesc, long dxDesc, int algo) {
        try { check((int) cudnnGetConvolutionBackwardDataWorkspaceSize.invokeExact(handle, wDesc, dyDesc, convDesc, dxDesc, algo, out()), "cudnnGetConvolutionBackwardDataWorkspaceSize"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static long cudnnGetConvolutionBackwardFilterWorkspaceSize(long handle, long xDesc, long dyDesc, long convDesc, long gradDesc, int algo) {
        try { check((int) cudnnGetConvolutionBackwardFilterWorkspaceSize.invokeExact(handle, xDesc, dyDesc, convDesc, gradDesc, algo, out()), "cudnnGetConvolutionBackwardFilterWorkspaceSize"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    // ---- convolution passes -------------------------------------------------------------------

    /** y = alpha * conv(x, w) + beta * y. */
    public static void cudnnConvolutionForward(long handle, long alpha, long xDesc, long x, long wDesc, long w, long convDesc, int algo,
                                               long workSpace, long workSpaceSizeInBytes, long beta, long yDesc, long y) {
        try { check((int) cudnnConvolutionForward.invokeExact(handle, alpha, xDesc, x, wDesc, w, convDesc, algo, workSpace, workSpaceSizeInBytes, beta, yDesc, y), "cudnnConvolutionForward"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** dx = alpha * (gradient of the convolution with respect to x, given dy) + beta * dx. */
    public static void cudnnConvolutionBackwardData(long handle, long alpha, long wDesc, long w, long dyDesc, long dy, long convDesc, int algo,
                                                    long workSpace, long workSpaceSizeInBytes, long beta, long dxDesc, long dx) {
        try { check((int) cudnnConvolutionBackwardData.invokeExact(handle, alpha, wDesc, w, dyDesc, dy, convDesc, algo, workSpace, workSpaceSizeInBytes, beta, dxDesc, dx), "cudnnConvolutionBackwardData"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** dw = alpha * (gradient with respect to w, given x and dy) + beta * dw. */
    public static void cudnnConvolutionBackwardFilter(long handle, long alpha, long xDesc, long x, long dyDesc, long dy, long convDesc, int algo,
                                                      long workSpace, long workSpaceSizeInBytes, long beta, long dwDesc, long dw) {
        try { check((int) cudnnConvolutionBackwardFilter.invokeExact(handle, alpha, xDesc, x, dyDesc, dy, convDesc, algo, workSpace, workSpaceSizeInBytes, beta, dwDesc, dw), "cudnnConvolutionBackwardFilter"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** db = alpha * (dy summed over N, H, W) + beta * db; {@code dbDesc} is 1xCx1x1. */
    public static void cudnnConvolutionBackwardBias(long handle, long alpha, long dyDesc, long dy, long beta, long dbDesc, long db) {
        try { check((int) cudnnConvolutionBackwardBias.invokeExact(handle, alpha, dyDesc, dy, beta, dbDesc, db), "cudnnConvolutionBackwardBias"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- pooling ------------------------------------------------------------------------------

    public static long cudnnCreatePoolingDescriptor() {
        try { check((int) cudnnCreatePoolingDescriptor.invokeExact(out()), "cudnnCreatePoolingDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    public static void cudnnSetPooling2dDescriptor(long poolingDesc, int mode, int maxpoolingNanOpt, int windowHeight, int windowWidth,
                                                   int verticalPadding, int horizontalPadding, int verticalStride, int horizontalStride) {
        try { check((int) cudnnSetPooling2dDescriptor.invokeExact(poolingDesc, mode, maxpoolingNanOpt, windowHeight, windowWidth, verticalPadding, horizontalPadding, verticalStride, horizontalStride), "cudnnSetPooling2dDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** The output's {n, c, h, w}. */
    public static int[] cudnnGetPooling2dForwardOutputDim(long poolingDesc, long inputTensorDesc) {
        long o = out();
        try { check((int) cudnnGetPooling2dForwardOutputDim.invokeExact(poolingDesc, inputTensorDesc, o, o + 4, o + 8, o + 12), "cudnnGetPooling2dForwardOutputDim"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInts(4);
    }

    public static void cudnnDestroyPoolingDescriptor(long poolingDesc) {
        try { check((int) cudnnDestroyPoolingDescriptor.invokeExact(poolingDesc), "cudnnDestroyPoolingDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnPoolingForward(long handle, long poolingDesc, long alpha, long xDesc, long x, long beta, long yDesc, long y) {
        try { check((int) cudnnPoolingForward.invokeExact(handle, poolingDesc, alpha, xDesc, x, beta, yDesc, y), "cudnnPoolingForward"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Needs the forward pass's x and y as well as dy (max pooling finds the winners again). */
    public static void cudnnPoolingBackward(long handle, long poolingDesc, long alpha, long yDesc, long y, long dyDesc, long dy,
                                            long xDesc, long x, long beta, long dxDesc, long dx) {
        try { check((int) cudnnPoolingBackward.invokeExact(handle, poolingDesc, alpha, yDesc, y, dyDesc, dy, xDesc, x, beta, dxDesc, dx), "cudnnPoolingBackward"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- activation ---------------------------------------------------------------------------

    public static long cudnnCreateActivationDescriptor() {
        try { check((int) cudnnCreateActivationDescriptor.invokeExact(out()), "cudnnCreateActivationDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readLong();
    }

    /** {@code coef}: the ceiling of a clipped ReLU, the alpha of an ELU; ignored otherwise. */
    public static void cudnnSetActivationDescriptor(long activationDesc, int mode, int reluNanOpt, double coef) {
        try { check((int) cudnnSetActivationDescriptor.invokeExact(activationDesc, mode, reluNanOpt, coef), "cudnnSetActivationDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnDestroyActivationDescriptor(long activationDesc) {
        try { check((int) cudnnDestroyActivationDescriptor.invokeExact(activationDesc), "cudnnDestroyActivationDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnActivationForward(long handle, long activationDesc, long alpha, long xDesc, long x, long beta, long yDesc, long y) {
        try { check((int) cudnnActivationForward.invokeExact(handle, activationDesc, alpha, xDesc, x, beta, yDesc, y), "cudnnActivationForward"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnActivationBackward(long handle, long activationDesc, long alpha, long yDesc, long y, long dyDesc, long dy,
                                               long xDesc, long x, long beta, long dxDesc, long dx) {
        try { check((int) cudnnActivationBackward.invokeExact(handle, activationDesc, alpha, yDesc, y, dyDesc, dy, xDesc, x, beta, dxDesc, dx), "cudnnActivationBackward"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- batch normalization ------------------------------------------------------------------

    /** Sets {@code derivedBnDesc} to the shape and type of scale, bias, mean and variance for {@code xDesc} and {@code mode}. */
    public static void cudnnDeriveBNTensorDescriptor(long derivedBnDesc, long xDesc, int mode) {
        try { check((int) cudnnDeriveBNTensorDescriptor.invokeExact(derivedBnDesc, xDesc, mode), "cudnnDeriveBNTensorDescriptor"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * Training forward: y = scale * (x - mean) / sqrt(var + epsilon) + bias with the batch's
     * statistics; running = factor * batch + (1 - factor) * running (the running variance takes the
     * unbiased batch variance); saves the batch mean and 1/sqrt(var + epsilon) for the backward pass
     * ({@code resultSaveMean}, {@code resultSaveInvVariance} may be 0).
     */
    public static void cudnnBatchNormalizationForwardTraining(long handle, int mode, long alpha, long beta, long xDesc, long x, long yDesc, long y,
                                                              long bnScaleBiasMeanVarDesc, long bnScale, long bnBias, double exponentialAverageFactor,
                                                              long resultRunningMean, long resultRunningVariance, double epsilon,
                                                              long resultSaveMean, long resultSaveInvVariance) {
        try {
            check((int) cudnnBatchNormalizationForwardTraining.invokeExact(handle, mode, alpha, beta, xDesc, x, yDesc, y, bnScaleBiasMeanVarDesc, bnScale, bnBias,
                    exponentialAverageFactor, resultRunningMean, resultRunningVariance, epsilon, resultSaveMean, resultSaveInvVariance), "cudnnBatchNormalizationForwardTraining");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void cudnnBatchNormalizationForwardInference(long handle, int mode, long alpha, long beta, long xDesc, long x, long yDesc, long y,
                                                               long bnScaleBiasMeanVarDesc, long bnScale, long bnBias,
                                                               long estimatedMean, long estimatedVariance, double epsilon) {
        try {
            check((int) cudnnBatchNormalizationForwardInference.invokeExact(handle, mode, alpha, beta, xDesc, x, yDesc, y, bnScaleBiasMeanVarDesc, bnScale, bnBias,
                    estimatedMean, estimatedVariance, epsilon), "cudnnBatchNormalizationForwardInference");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Four scaling factors: for dx ({@code alphaDataDiff}, {@code betaDataDiff}) and for dScale, dBias ({@code alphaParamDiff}, {@code betaParamDiff}). */
    public static void cudnnBatchNormalizationBackward(long handle, int mode, long alphaDataDiff, long betaDataDiff, long alphaParamDiff, long betaParamDiff,
                                                       long xDesc, long x, long dyDesc, long dy, long dxDesc, long dx,
                                                       long dBnScaleBiasDesc, long bnScale, long dBnScaleResult, long dBnBiasResult, double epsilon,
                                                       long savedMean, long savedInvVariance) {
        try {
            check((int) cudnnBatchNormalizationBackward.invokeExact(handle, mode, alphaDataDiff, betaDataDiff, alphaParamDiff, betaParamDiff, xDesc, x, dyDesc, dy, dxDesc, dx,
                    dBnScaleBiasDesc, bnScale, dBnScaleResult, dBnBiasResult, epsilon, savedMean, savedInvVariance), "cudnnBatchNormalizationBackward");
        } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
