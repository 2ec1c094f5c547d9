package io.ddp4j.bindings.mpi;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.ddp4j.bindings.Native;
import io.ddp4j.bindings.OutParams;
import io.ddp4j.bindings.loader.LibrarySearchPath;
import io.ddp4j.bindings.loader.LibrarySpec;
import io.ddp4j.bindings.loader.NativeLibrary;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Open MPI ({@code libmpi.so.40}), one Java method per C function, in the conventions of
 * {@link io.ddp4j.bindings.cuda.Cudart}. Open MPI's handles ({@code MPI_COMM_WORLD},
 * {@code MPI_FLOAT}, {@code MPI_SUM}, ...) are the addresses of global objects in the library;
 * {@link MpiHandles} resolves them. Every status is checked; call {@link #MPI_Comm_set_errhandler}
 * with {@code MPI_ERRORS_RETURN} after init so errors come back as codes rather than aborting the
 * job ({@link MpiHandles#initThreadMultiple()} does).
 */
public final class Mpi {
    private Mpi() {}

    static final NativeLibrary LIB = NativeLibrary.findGlobal(LibrarySpec.MPI, LibrarySearchPath.ofThisProcess());

    public static final int MPI_THREAD_SINGLE = 0, MPI_THREAD_FUNNELED = 1, MPI_THREAD_SERIALIZED = 2, MPI_THREAD_MULTIPLE = 3;
    public static final int MPI_MAX_ERROR_STRING = 256, MPI_MAX_LIBRARY_VERSION_STRING = 256;
    /** {@code MPI_IN_PLACE} is {@code (void*) 1} in Open MPI. */
    public static final long MPI_IN_PLACE = 1L;
    public static final long MPI_STATUS_IGNORE = 0L;

    private static MethodHandle fn(String name, MemoryLayout... args) {
        return LIB.function(name, FunctionDescriptor.of(JAVA_INT, args));
    }

    private static final MethodHandle
            MPI_Init_thread = fn("MPI_Init_thread", JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG),
            MPI_Initialized = fn("MPI_Initialized", JAVA_LONG),
            MPI_Finalized = fn("MPI_Finalized", JAVA_LONG),
            MPI_Finalize = fn("MPI_Finalize"),
            MPI_Abort = fn("MPI_Abort", JAVA_LONG, JAVA_INT),
            MPI_Comm_rank = fn("MPI_Comm_rank", JAVA_LONG, JAVA_LONG),
            MPI_Comm_size = fn("MPI_Comm_size", JAVA_LONG, JAVA_LONG),
            MPI_Comm_split = fn("MPI_Comm_split", JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG),
            MPI_Comm_free = fn("MPI_Comm_free", JAVA_LONG),
            MPI_Comm_group = fn("MPI_Comm_group", JAVA_LONG, JAVA_LONG),
            MPI_Group_incl = fn("MPI_Group_incl", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG),
            MPI_Group_free = fn("MPI_Group_free", JAVA_LONG),
            MPI_Comm_create_group = fn("MPI_Comm_create_group", JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG),
            MPI_Comm_set_errhandler = fn("MPI_Comm_set_errhandler", JAVA_LONG, JAVA_LONG),
            MPI_Barrier = fn("MPI_Barrier", JAVA_LONG),
            MPI_Bcast = fn("MPI_Bcast", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG),
            MPI_Allreduce = fn("MPI_Allreduce", JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            MPI_Reduce = fn("MPI_Reduce", JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG),
            MPI_Allgather = fn("MPI_Allgather", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG),
            MPI_Reduce_scatter_block = fn("MPI_Reduce_scatter_block", JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            MPI_Send = fn("MPI_Send", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG),
            MPI_Recv = fn("MPI_Recv", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            MPI_Error_string = fn("MPI_Error_string", JAVA_INT, JAVA_LONG, JAVA_LONG),
            MPI_Error_class = fn("MPI_Error_class", JAVA_INT, JAVA_LONG),
            MPI_Get_library_version = fn("MPI_Get_library_version", JAVA_LONG, JAVA_LONG);
    private static final MethodHandle MPI_Wtime = LIB.function("MPI_Wtime", FunctionDescriptor.of(JAVA_DOUBLE));

    public static NativeLibrary library() {
        return LIB;
    }

    static void check(int status, String call) {
        if (status != 0) throw MpiErrors.exception(call, status);
    }

    private static long out() {
        return OutParams.raw().address();
    }

    private static int readInt() {
        return OutParams.raw().get(JAVA_INT, 0);
    }

    /** MPI_Init_thread(NULL, NULL, required, &provided): returns the thread level provided. */
    public static int MPI_Init_thread(int required) {
        try { check((int) MPI_Init_thread.invokeExact(0L, 0L, required, out()), "MPI_Init_thread"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static boolean MPI_Initialized() {
        try { check((int) MPI_Initialized.invokeExact(out()), "MPI_Initialized"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt() != 0;
    }

    public static boolean MPI_Finalized() {
        try { check((int) MPI_Finalized.invokeExact(out()), "MPI_Finalized"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt() != 0;
    }

    public static void MPI_Finalize() {
        try { check((int) MPI_Finalize.invokeExact(), "MPI_Finalize"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Abort(long comm, int errorcode) {
        try { check((int) MPI_Abort.invokeExact(comm, errorcode), "MPI_Abort"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static int MPI_Comm_rank(long comm) {
        try { check((int) MPI_Comm_rank.invokeExact(comm, out()), "MPI_Comm_rank"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    public static int MPI_Comm_size(long comm) {
        try { check((int) MPI_Comm_size.invokeExact(comm, out()), "MPI_Comm_size"); } catch (Throwable t) { throw Native.rethrow(t); }
        return readInt();
    }

    /** MPI_Comm_split: returns the new communicator (MPI_COMM_NULL for color MPI_UNDEFINED). */
    public static long MPI_Comm_split(long comm, int color, int key) {
        try { check((int) MPI_Comm_split.invokeExact(comm, color, key, out()), "MPI_Comm_split"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    /** MPI_Comm_free takes the handle by reference; ddp4j passes a copy, the Java owner forgets its own. */
    public static void MPI_Comm_free(long comm) {
        MemorySegment o = OutParams.raw();
        o.set(JAVA_LONG, 0, comm);
        try { check((int) MPI_Comm_free.invokeExact(o.address()), "MPI_Comm_free"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** MPI_Comm_group: the group of {@code comm}'s processes (free it with {@link #MPI_Group_free}). */
    public static long MPI_Comm_group(long comm) {
        try { check((int) MPI_Comm_group.invokeExact(comm, out()), "MPI_Comm_group"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    /** MPI_Group_incl: the processes of {@code group} at {@code ranks}, in that order. */
    public static long MPI_Group_incl(long group, int[] ranks) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocateFrom(JAVA_INT, ranks);
            try { check((int) MPI_Group_incl.invokeExact(group, ranks.length, r.address(), out()), "MPI_Group_incl"); } catch (Throwable t) { throw Native.rethrow(t); }
            return OutParams.raw().get(JAVA_LONG, 0);
        }
    }

    /** MPI_Group_free takes the handle by reference, like {@link #MPI_Comm_free}. */
    public static void MPI_Group_free(long group) {
        MemorySegment o = OutParams.raw();
        o.set(JAVA_LONG, 0, group);
        try { check((int) MPI_Group_free.invokeExact(o.address()), "MPI_Group_free"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /**
     * MPI_Comm_create_group (MPI-3): a communicator over {@code group}, a subgroup of {@code comm};
     * collective over the members of {@code group} only, so processes outside it need not call.
     */
    public static long MPI_Comm_create_group(long comm, long group, int tag) {
        try { check((int) MPI_Comm_create_group.invokeExact(comm, group, tag, out()), "MPI_Comm_create_group"); } catch (Throwable t) { throw Native.rethrow(t); }
        return OutParams.raw().get(JAVA_LONG, 0);
    }

    public static void MPI_Comm_set_errhandler(long comm, long errhandler) {
        try { check((int) MPI_Comm_set_errhandler.invokeExact(comm, errhandler), "MPI_Comm_set_errhandler"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Barrier(long comm) {
        try { check((int) MPI_Barrier.invokeExact(comm), "MPI_Barrier"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Bcast(long buffer, int count, long datatype, int root, long comm) {
        try { check((int) MPI_Bcast.invokeExact(buffer, count, datatype, root, comm), "MPI_Bcast"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Allreduce(long sendbuf, long recvbuf, int count, long datatype, long op, long comm) {
        try { check((int) MPI_Allreduce.invokeExact(sendbuf, recvbuf, count, datatype, op, comm), "MPI_Allreduce"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Reduce(long sendbuf, long recvbuf, int count, long datatype, long op, int root, long comm) {
        try { check((int) MPI_Reduce.invokeExact(sendbuf, recvbuf, count, datatype, op, root, comm), "MPI_Reduce"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Allgather(long sendbuf, int sendcount, long sendtype, long recvbuf, int recvcount, long recvtype, long comm) {
        try { check((int) MPI_Allgather.invokeExact(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm), "MPI_Allgather"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Reduce_scatter_block(long sendbuf, long recvbuf, int recvcount, long datatype, long op, long comm) {
        try { check((int) MPI_Reduce_scatter_block.invokeExact(sendbuf, recvbuf, recvcount, datatype, op, comm), "MPI_Reduce_scatter_block"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    public static void MPI_Send(long buf, int count, long datatype, int dest, int tag, long comm) {
        try { check((int) MPI_Send.invokeExact(buf, count, datatype, dest, tag, comm), "MPI_Send"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** MPI_Recv with MPI_STATUS_IGNORE. */
    public static void MPI_Recv(long buf, int count, long datatype, int source, int tag, long comm) {
        try { check((int) MPI_Recv.invokeExact(buf, count, datatype, source, tag, comm, MPI_STATUS_IGNORE), "MPI_Recv"); } catch (Throwable t) { throw Native.rethrow(t); }
    }

    /** The library's text for an error code (never throws: it is used while building exceptions). */
    public static String MPI_Error_string(int errorcode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(MPI_MAX_ERROR_STRING + 1);
            MemorySegment len = arena.allocate(JAVA_INT);
            int st = (int) MPI_Error_string.invokeExact(errorcode, text.address(), len.address());
            return st == 0 ? text.getString(0) : "";
        } catch (Throwable t) {
            return "";
        }
    }

    /** The error class of a code (MPI_ERR_COMM, MPI_ERR_COUNT, ...), or -1 when it cannot be asked. */
    public static int MPI_Error_class(int errorcode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cls = arena.allocate(JAVA_INT);
            int st = (int) MPI_Error_class.invokeExact(errorcode, cls.address());
            return st == 0 ? cls.get(JAVA_INT, 0) : -1;
        } catch (Throwable t) {
            return -1;
        }
    }

    /** e.g. "Open MPI v4.1.4, package: Debian OpenMPI, ..." (callable before MPI_Init). */
    public static String MPI_Get_library_version() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment text = arena.allocate(MPI_MAX_LIBRARY_VERSION_STRING + 1);
            MemorySegment len = arena.allocate(JAVA_INT);
            try { check((int) MPI_Get_library_version.invokeExact(text.address(), len.address()), "MPI_Get_library_version"); } catch (Throwable t) { throw Native.rethrow(t); }
            return text.getString(0).strip();
        }
    }

    public static double MPI_Wtime() {
        try { return (double) MPI_Wtime.invokeExact(); } catch (Throwable t) { throw Native.rethrow(t); }
    }
}
