package io.ddp4j.bindings.nccl;

import static java.lang.foreign.ValueLayout.ADDRESS;
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

/**
 * NCCL ({@code libnccl.so.2}), one Java method per C function with the C name and argument order,
 * following the conventions of {@link io.ddp4j.bindings.cuda.Cudart}: pointers, communicators and
 * streams are {@code long}, a C out-parameter becomes the return value, and every status is checked
 * ({@link io.ddp4j.bindings.NcclException}, naming the call, NCCL's text and its last warning).
 *
 * <p><b>ncclInProgress.</b> A communicator made with a non-blocking config ({@code blocking = 0})
 * answers {@code ncclInProgress} from init, finalize, the collectives, send/recv and ncclGroupEnd
 * while the work is still being set up or enqueued; that is not a failure. Those methods therefore
 * return the status, {@link #ncclSuccess} or {@link #ncclInProgress}, and throw for anything else;
 * after {@code ncclInProgress} the caller polls {@link #ncclCommGetAsyncError} (see
 * {@link NcclAsyncWait}) before using the communicator again. Blocking communicators always give
 * {@code ncclSuccess} there, and callers may ignore the value.
 *
 * <p>No call uses {@code Linker.Option.critical}: NCCL calls can block on other ranks (lazy
 * connection setup happens inside the first collective or ncclGroupEnd), and a critical call would
 * hold back the garbage collector for that long.
 */
public final class Nccl {
    private Nccl() {}

    static final NativeLibrary LIB = NativeLibrary.find(LibrarySpec.NCCL);

    // ncclResult_t
    public static final int ncclSuccess = 0, ncclUnhandledCudaError = 1, ncclSystemError = 2, ncclInternalError = 3,
            ncclInvalidArgument = 4, ncclInvalidUsage = 5, ncclRemoteError = 6, ncclInProgress = 7, ncclNumResults = 8;
    // ncclDataType_t (ncclChar = ncclInt8, ncclInt = ncclInt32, ncclHalf = ncclFloat16, ncclFloat = ncclFloat32, ncclDouble = ncclFloat64)
    public static final int ncclInt8 = 0, ncclUint8 = 1, ncclInt32 = 2, ncclUint32 = 3, ncclInt64 = 4, ncclUint64 = 5,
            ncclFloat16 = 6, ncclFloat32 = 7, ncclFloat64 = 8, ncclBfloat16 = 9, ncclFloat8e4m3 = 10, ncclFloat8e5m2 = 11,
            ncclNumTypes = 12;
    // ncclRedOp_t (built-in operators; ncclNumOps is also the first value ncclRedOpCreatePreMulSum hands out)
    public static final int ncclSum = 0, ncclProd = 1, ncclMax = 2, ncclMin = 3, ncclAvg = 4, ncclNumOps = 5;

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
        return LIB.function(name, fd);
    }

    private static FunctionDescriptor status(MemoryLayout... args) {
        return FunctionDescriptor.of(JAVA_INT, args);
    }

    private static final MethodHandle
            ncclGetVersion = fn("ncclGetVersion", status(JAVA_LONG)),
            ncclGetUniqueId = fn("ncclGetUniqueId", status(JAVA_LONG)),
            // the unique id goes by value: a 128-byte struct argument, not a pointer
            ncclCommInitRank = fn("ncclCommInitRank", status(JAVA_LONG, JAVA_INT, NcclUniqueId.LAYOUT, JAVA_INT)),
            ncclCommInitRankConfig = fn("ncclCommInitRankConfig", status(JAVA_LONG, JAVA_INT, NcclUniqueId.LAYOUT, JAVA_INT, JAVA_LONG)),
            ncclCommInitAll = fn("ncclCommInitAll", status(JAVA_LONG, JAVA_INT, JAVA_LONG)),
            ncclCommFinalize = fn("ncclCommFinalize", status(JAVA_LONG)),
            ncclCommDestroy = fn("ncclCommDestroy", status(JAVA_LONG)),
            ncclCommAbort = fn("ncclCommAbort", status(JAVA_LONG)),
            ncclCommGetAsyncError = fn("ncclCommGetAsyncError", status(JAVA_LONG, JAVA_LONG)),
            ncclCommCount = fn("ncclCommCount", status(JAVA_LONG, JAVA_LONG)),
            ncclCommCuDevice = fn("ncclCommCuDevice", status(JAVA_LONG, JAVA_LONG)),
            ncclCommUserRank = fn("ncclCommUserRank", status(JAVA_LONG, JAVA_LONG)),
            ncclGetErrorString = fn("ncclGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT)),
            ncclGetLastError = fn("ncclGetLastError", FunctionDescriptor.of(ADDRESS, JAVA_LONG)),
            ncclAllReduce = fn("ncclAllReduce", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclBroadcast = fn("ncclBroadcast", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclReduce = fn("ncclReduce", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclAllGather = fn("ncclAllGather", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclReduceScatter = fn("ncclReduceScatter", status(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclSend = fn("ncclSend", status(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclRecv = fn("ncclRecv", status(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG)),
            ncclGroupStart = fn("ncclGroupStart", status()),
            ncclGroupEnd = fn("ncclGroupEnd", status());

    /** The library as found (or why not), for {@code ddp4j info}. */
    public static NativeLibrary library() {
        return LIB;
    }

    public static boolean isLoaded() {
        return LIB.isLoaded();
    }

    /** The loaded NCCL's version, e.g. "2.28.3". Needs no GPU. */
    public static String versionString() {
        return version().toString();
    }

    /** {@link #ncclGetVersion} decoded. */
    public static NcclVersion version() {
        return NcclVersion.decode(ncclGetVersion());
    }

    /** Throws unless {@code status} is ncclSuccess. */
    static void check(int status, String call, long comm) {
        if (status != ncclSuccess) throw NcclErrors.exception(call, status, comm);
    }

    /** Throws unless {@code status} is ncclSuccess or ncclInProgress, and gives it back. */
    static int checkAllowingInProgress(int status, String call, long comm) {
        if (status != ncclSuccess && status != ncclInProgress) throw NcclErrors.exception(call, status, comm);
        return status;
    }

    /** Refuses a negative {@code size_t} (NCCL would read it as a count near 2^64 and run off the buffers). */
    static void requireCount(String call, String name, long count) {
        if (count < 0) throw new IllegalArgumentException(call + ": " + name + " must not be negative, got " + count);
    }

    /**
     * Refuses a null buffer that the GPU would dereference: NCCL checks buffers only with
     * NCCL_CHECK_POINTERS=1, otherwise the kernel faults and the CUDA context is lost for good.
     */
    static void requireBuffer(String call, String name, long buffer, long count) {
        if (buffer == 0 && count > 0) throw new IllegalArgumentException(call + ": " + name + " is null with count " + count);
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

    // ---- versions and ids -------------------------------------------------------------------

    /** NCCL_VERSION_CODE of the loaded library, e.g. 22803 for 2.28.3 (see {@link NcclVersion}). */
    public static int ncclGetVersion() {
        try { check((int) ncclGetVersion.invokeExact(out()), "ncclGetVersion", 0L); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** A fresh id for a new communicator; rank 0 makes it and sends it to the others. */
    public static NcclUniqueId ncclGetUniqueId() {
        MemorySegment o = OutParams.zeroed();
        try { check((int) ncclGetUniqueId.invokeExact(o.address()), "ncclGetUniqueId", 0L); } catch (Throwable t) { throw Native.rethrow(t); }
        return NcclUniqueId.read(o);
    }

    // ---- communicators ----------------------------------------------------------------------

    /**
     * A communicator for {@code rank} of {@code nranks} on the current CUDA device; blocks until
     * every rank has called it with the same id.
     */
    public static long ncclCommInitRank(int nranks, NcclUniqueId commId, int rank) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = commId.toSegment(arena);
            OutParams.zeroed();
            int status;
            try { status = (int) ncclCommInitRank.invokeExact(out(), nranks, id, rank); } catch (Throwable t) { throw Native.rethrow(t); }
            return initResult(status, readLong(), false, "ncclCommInitRank(rank " + rank + " of " + nranks + ")");
        }
    }

    /**
     * ncclCommInitRank with a config, a struct written by {@link NcclConfigLayout#write} (NCCL
     * copies the struct during the call but keeps its commName pointer). With a non-blocking config
     * this returns the handle while the communicator may still be initialising (NCCL answered
     * ncclInProgress): wait for {@link #ncclCommGetAsyncError} to say ncclSuccess before using it.
     */
    public static long ncclCommInitRankConfig(int nranks, NcclUniqueId commId, int rank, MemorySegment config) {
        String call = "ncclCommInitRankConfig(rank " + rank + " of " + nranks + ")";
        if (!config.isNative() || config.byteSize() < NcclConfigLayout.LAYOUT.byteSize()) {
            throw new IllegalArgumentException(call + ": config must be a native segment of at least "
                    + NcclConfigLayout.LAYOUT.byteSize() + " bytes (ncclConfig_t, written by NcclConfigLayout.write), got " + config);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = commId.toSegment(arena);
            MemorySegment o = OutParams.zeroed();
            int status;
            try { status = (int) ncclCommInitRankConfig.invokeExact(o.address(), nranks, id, rank, config.address()); } catch (Throwable t) { throw Native.rethrow(t); }
            return initResult(status, readLong(), true, call);
        }
    }

    /**
     * The handle an init call wrote, or its failure. NCCL writes the handle before the init runs,
     * and a failed init (reported by the call itself, or by its group end) does not free it: such
     * a handle is aborted here, or nothing would ever free it.
     */
    private static long initResult(int status, long comm, boolean inProgressIsSuccess, String call) {
        if (status == ncclSuccess || (inProgressIsSuccess && status == ncclInProgress)) return comm;
        RuntimeException failure = NcclErrors.exception(call, status, 0L);
        if (comm != 0) {
            try {
                ncclCommAbort(comm);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
        throw failure;
    }

    /**
     * One communicator per device of this process, rank i on {@code devlist[i]} (on devices
     * 0..ndev-1 when {@code devlist} is null).
     */
    public static long[] ncclCommInitAll(int ndev, int[] devlist) {
        if (ndev < 1) throw new IllegalArgumentException("ncclCommInitAll: ndev must be at least 1, got " + ndev);
        if (devlist != null && devlist.length != ndev) {
            throw new IllegalArgumentException("ncclCommInitAll: devlist has " + devlist.length + " devices, ndev is " + ndev);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment comms = arena.allocate(JAVA_LONG, ndev);
            long devs = devlist == null ? 0L : arena.allocateFrom(JAVA_INT, devlist).address();
            try { check((int) ncclCommInitAll.invokeExact(comms.address(), ndev, devs), "ncclCommInitAll(" + ndev + " devices)", 0L); } catch (Throwable t) { throw Native.rethrow(t); }
            return comms.toArray(JAVA_LONG);
        }
    }

    /** Flushes the communicator's work; ncclInProgress (non-blocking) until it is quiescent. */
    public static int ncclCommFinalize(long comm) {
        try { return checkAllowingInProgress((int) ncclCommFinalize.invokeExact(comm), "ncclCommFinalize", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * Frees the communicator; the handle is invalid afterwards whatever the status. Fails with the
     * communicator's asynchronous error if it has one, or while a non-blocking init is unfinished:
     * use {@link #ncclCommAbort} for such a communicator.
     */
    public static int ncclCommDestroy(long comm) {
        try { return checkAllowingInProgress((int) ncclCommDestroy.invokeExact(comm), "ncclCommDestroy", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Stops whatever the communicator still runs on the device and frees it, even when broken. */
    public static int ncclCommAbort(long comm) {
        try { return checkAllowingInProgress((int) ncclCommAbort.invokeExact(comm), "ncclCommAbort", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * The communicator's asynchronous state, itself an {@code ncclResult_t}: ncclSuccess (ready),
     * ncclInProgress (a non-blocking operation still running) or the error that broke it. Throws
     * only when the query itself fails (e.g. a null communicator).
     */
    public static int ncclCommGetAsyncError(long comm) {
        try { check((int) ncclCommGetAsyncError.invokeExact(comm, out()), "ncclCommGetAsyncError", comm); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int ncclCommCount(long comm) {
        try { check((int) ncclCommCount.invokeExact(comm, out()), "ncclCommCount", comm); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int ncclCommCuDevice(long comm) {
        try { check((int) ncclCommCuDevice.invokeExact(comm, out()), "ncclCommCuDevice", comm); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int ncclCommUserRank(long comm) {
        try { check((int) ncclCommUserRank.invokeExact(comm, out()), "ncclCommUserRank", comm); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    // ---- errors -----------------------------------------------------------------------------

    public static String ncclGetErrorString(int result) {
        try { return Native.cString((MemorySegment) ncclGetErrorString.invokeExact(result)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** NCCL's last warning, process-wide (NCCL 2.28 ignores {@code comm}); may be about an older error. */
    public static String ncclGetLastError(long comm) {
        try { return Native.cString((MemorySegment) ncclGetLastError.invokeExact(comm)); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- collectives (enqueue on stream; return ncclSuccess or ncclInProgress) --------------

    public static int ncclAllReduce(long sendbuff, long recvbuff, long count, int datatype, int op, long comm, long stream) {
        requireCount("ncclAllReduce", "count", count);
        requireBuffer("ncclAllReduce", "sendbuff", sendbuff, count);
        requireBuffer("ncclAllReduce", "recvbuff", recvbuff, count);
        try { return checkAllowingInProgress((int) ncclAllReduce.invokeExact(sendbuff, recvbuff, count, datatype, op, comm, stream), "ncclAllReduce", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** {@code sendbuff} is read on the root only (it may be 0 elsewhere); in place when equal to recvbuff. */
    public static int ncclBroadcast(long sendbuff, long recvbuff, long count, int datatype, int root, long comm, long stream) {
        requireCount("ncclBroadcast", "count", count);
        requireBuffer("ncclBroadcast", "recvbuff", recvbuff, count);
        try { return checkAllowingInProgress((int) ncclBroadcast.invokeExact(sendbuff, recvbuff, count, datatype, root, comm, stream), "ncclBroadcast", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** {@code recvbuff} is written on the root only (it may be 0 elsewhere). */
    public static int ncclReduce(long sendbuff, long recvbuff, long count, int datatype, int op, int root, long comm, long stream) {
        requireCount("ncclReduce", "count", count);
        requireBuffer("ncclReduce", "sendbuff", sendbuff, count);
        try { return checkAllowingInProgress((int) ncclReduce.invokeExact(sendbuff, recvbuff, count, datatype, op, root, comm, stream), "ncclReduce", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** recvbuff holds nranks * sendcount elements, rank i's at offset i * sendcount. */
    public static int ncclAllGather(long sendbuff, long recvbuff, long sendcount, int datatype, long comm, long stream) {
        requireCount("ncclAllGather", "sendcount", sendcount);
        requireBuffer("ncclAllGather", "sendbuff", sendbuff, sendcount);
        requireBuffer("ncclAllGather", "recvbuff", recvbuff, sendcount);
        try { return checkAllowingInProgress((int) ncclAllGather.invokeExact(sendbuff, recvbuff, sendcount, datatype, comm, stream), "ncclAllGather", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** sendbuff holds nranks * recvcount elements; rank i receives the reduced block i. */
    public static int ncclReduceScatter(long sendbuff, long recvbuff, long recvcount, int datatype, int op, long comm, long stream) {
        requireCount("ncclReduceScatter", "recvcount", recvcount);
        requireBuffer("ncclReduceScatter", "sendbuff", sendbuff, recvcount);
        requireBuffer("ncclReduceScatter", "recvbuff", recvbuff, recvcount);
        try { return checkAllowingInProgress((int) ncclReduceScatter.invokeExact(sendbuff, recvbuff, recvcount, datatype, op, comm, stream), "ncclReduceScatter", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- point to point ---------------------------------------------------------------------

    public static int ncclSend(long sendbuff, long count, int datatype, int peer, long comm, long stream) {
        requireCount("ncclSend", "count", count);
        requireBuffer("ncclSend", "sendbuff", sendbuff, count);
        try { return checkAllowingInProgress((int) ncclSend.invokeExact(sendbuff, count, datatype, peer, comm, stream), "ncclSend(peer " + peer + ")", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int ncclRecv(long recvbuff, long count, int datatype, int peer, long comm, long stream) {
        requireCount("ncclRecv", "count", count);
        requireBuffer("ncclRecv", "recvbuff", recvbuff, count);
        try { return checkAllowingInProgress((int) ncclRecv.invokeExact(recvbuff, count, datatype, peer, comm, stream), "ncclRecv(peer " + peer + ")", comm); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    // ---- groups -----------------------------------------------------------------------------

    /** Starts fusing the NCCL calls of this thread until the matching {@link #ncclGroupEnd}. */
    public static void ncclGroupStart() {
        try { check((int) ncclGroupStart.invokeExact(), "ncclGroupStart", 0L); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** Launches the group; an error of any call inside it surfaces here. */
    public static int ncclGroupEnd() {
        try { return checkAllowingInProgress((int) ncclGroupEnd.invokeExact(), "ncclGroupEnd", 0L); } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
