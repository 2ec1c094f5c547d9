package io.ddp4j.bindings.mpi;

/**
 * Open MPI's predefined handles: each is the address of a global object the library exports
 * ({@code MPI_COMM_WORLD} is {@code &ompi_mpi_comm_world}). Resolved when first asked.
 */
public final class MpiHandles {
    private MpiHandles() {}

    private static long symbol(String name) {
        Mpi.LIB.require();
        long a = Mpi.LIB.symbolAddress(name);
        if (a == 0) throw new UnsupportedOperationException("Open MPI at " + Mpi.LIB.path().orElseThrow() + " exports no " + name);
        return a;
    }

    public static long commWorld() { return symbol("ompi_mpi_comm_world"); }
    public static long commSelf() { return symbol("ompi_mpi_comm_self"); }
    public static long commNull() { return symbol("ompi_mpi_comm_null"); }
    public static long errorsReturn() { return symbol("ompi_mpi_errors_return"); }

    public static long opSum() { return symbol("ompi_mpi_op_sum"); }
    public static long opProd() { return symbol("ompi_mpi_op_prod"); }
    public static long opMax() { return symbol("ompi_mpi_op_max"); }
    public static long opMin() { return symbol("ompi_mpi_op_min"); }
    public static long opLor() { return symbol("ompi_mpi_op_lor"); }
    public static long opLand() { return symbol("ompi_mpi_op_land"); }

    public static long typeByte() { return symbol("ompi_mpi_byte"); }
    public static long typeFloat() { return symbol("ompi_mpi_float"); }
    public static long typeDouble() { return symbol("ompi_mpi_double"); }
    public static long typeInt8() { return symbol("ompi_mpi_int8_t"); }
    public static long typeUint8() { return symbol("ompi_mpi_uint8_t"); }
    public static long typeUint16() { return symbol("ompi_mpi_uint16_t"); }
    public static long typeInt32() { return symbol("ompi_mpi_int32_t"); }
    public static long typeInt64() { return symbol("ompi_mpi_int64_t"); }
    public static long typeCBool() { return symbol("ompi_mpi_c_bool"); }

    /**
     * MPI_Init_thread asking for MPI_THREAD_MULTIPLE (a process group runs collectives on its own
     * thread), then MPI_ERRORS_RETURN on MPI_COMM_WORLD so errors become exceptions instead of
     * aborting the job. Returns the thread level Open MPI provides.
     */
    public static int initThreadMultiple() {
        int provided = Mpi.MPI_Initialized() ? Mpi.MPI_THREAD_MULTIPLE : Mpi.MPI_Init_thread(Mpi.MPI_THREAD_MULTIPLE);
        Mpi.MPI_Comm_set_errhandler(commWorld(), errorsReturn());
        return provided;
    }
}
