package io.ddp4j.ddp.pg.mpi;

import io.ddp4j.bindings.mpi.Mpi;
import io.ddp4j.bindings.mpi.MpiHandles;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.CompletableWork;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.ddp.pg.Work;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The {@code mpi} backend: Open MPI's collectives on host buffers, for jobs started by
 * {@code mpirun}. One worker thread initialises MPI and makes every MPI call, in issue order, so
 * MPI_THREAD_FUNNELED is all it needs and {@link Work} is asynchronous as in the other backends.
 * Before each collective the ranks all-gather a description of it, so a rank that called
 * something else fails with both versions instead of hanging. Counts past 2^31 - 1 elements are
 * split into several MPI calls. When a rank dies, mpirun ends the job (Open MPI's default), and
 * {@link Work#await(Duration)} bounds how long a survivor waits.
 */
public final class MpiProcessGroup implements ProcessGroup {
    private static final long MAX_COUNT = Integer.MAX_VALUE;

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ddp4j-mpi");
        t.setDaemon(true);
        return t;
    });
    private final Duration timeout;
    private final int rank, size;
    private final long comm;
    /** The members' ranks in MPI_COMM_WORLD; null for the world itself. */
    private final List<Integer> members;
    private long sequence;
    private boolean closed;

    private MpiProcessGroup(Duration timeout) {
        this.timeout = timeout;
        this.members = null;
        int[] rs = call(() -> {
            MpiHandles.initThreadMultiple();
            long world = MpiHandles.commWorld();
            return new int[] {Mpi.MPI_Comm_rank(world), Mpi.MPI_Comm_size(world)};
        });
        this.rank = rs[0];
        this.size = rs[1];
        this.comm = MpiHandles.commWorld();
    }

    private MpiProcessGroup(Duration timeout, List<Integer> members, int tag) {
        this.timeout = timeout;
        this.members = List.copyOf(members);
        long[] created = call(() -> {
            long world = MpiHandles.commWorld();
            long worldGroup = Mpi.MPI_Comm_group(world);
            long subGroup = 0;
            try {
                subGroup = Mpi.MPI_Group_incl(worldGroup, members.stream().mapToInt(Integer::intValue).toArray());
                long c = Mpi.MPI_Comm_create_group(world, subGroup, tag);
                Mpi.MPI_Comm_set_errhandler(c, MpiHandles.errorsReturn());
                return new long[] {c, Mpi.MPI_Comm_rank(c), Mpi.MPI_Comm_size(c)};
            } finally {
                if (subGroup != 0) Mpi.MPI_Group_free(subGroup);
                Mpi.MPI_Group_free(worldGroup);
            }
        });
        this.comm = created[0];
        this.rank = (int) created[1];
        this.size = (int) created[2];
    }

    /** Joins MPI_COMM_WORLD of the job mpirun started (MPI_Init happens here, on the worker thread). */
    public static MpiProcessGroup world(Duration timeout) {
        Mpi.library().require();
        return new MpiProcessGroup(timeout);
    }

    /**
     * A communicator over some ranks of MPI_COMM_WORLD ({@code globalRanks}, in order; this process
     * must be one of them), made with MPI_Comm_create_group, so only the members take part, as
     * with PyTorch's new_group. {@code tag} tells apart groups being made at the same time. Needs
     * the world group first (it initialises MPI).
     */
    public static MpiProcessGroup subgroup(List<Integer> globalRanks, int tag, Duration timeout) {
        Mpi.library().require();
        if (!Mpi.MPI_Initialized()) {
            throw new IllegalStateException("an mpi subgroup needs MPI initialised: create the world group first (Distributed.init does)");
        }
        if (globalRanks.isEmpty()) throw new IllegalArgumentException("an mpi subgroup needs at least one rank");
        return new MpiProcessGroup(timeout, globalRanks, tag);
    }

    private <T> T call(java.util.concurrent.Callable<T> body) {
        Future<T> f = worker.submit(body);
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new DistributedException("MPI initialisation failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("interrupted while starting MPI", e);
        }
    }

    @Override public int rank() { return rank; }
    @Override public int size() { return size; }
    @Override public String backend() { return "mpi"; }

    @Override
    public List<Integer> globalRanks() {
        if (members != null) return members;
        List<Integer> r = new ArrayList<>(size);
        for (int i = 0; i < size; i++) r.add(i);
        return r;
    }

    /** One issued op: checked against the other ranks, then run, on the worker thread. */
    private interface Body {
        void run(Arena arena);
    }

    private synchronized Work submit(String op, String detail, boolean collective, Body body) {
        if (closed) throw new IllegalStateException(op + " on a closed mpi process group (rank " + rank + ")");
        long seq = sequence++;
        OpFingerprint fp = OpFingerprint.of(op, seq, detail);
        CompletableWork work = new CompletableWork("rank " + rank + ": " + fp + " over mpi", timeout);
        worker.execute(() -> {
            try (Arena arena = Arena.ofConfined()) {
                if (collective) checkSameCall(fp, arena);
                body.run(arena);
                work.complete();
            } catch (Throwable t) {
                work.fail(t);
            }
        });
        return work;
    }

    private void checkSameCall(OpFingerprint mine, Arena arena) {
        MemorySegment send = arena.allocate(OpFingerprint.BYTES), all = arena.allocate((long) OpFingerprint.BYTES * size);
        mine.write(send);
        Mpi.MPI_Allgather(send.address(), OpFingerprint.BYTES, MpiHandles.typeByte(), all.address(), OpFingerprint.BYTES, MpiHandles.typeByte(), comm);
        for (int r = 0; r < size; r++) {
            MemorySegment theirs = all.asSlice((long) r * OpFingerprint.BYTES, OpFingerprint.BYTES);
            if (!mine.matches(theirs)) {
                throw new CollectiveMismatchException("rank " + rank + " called " + mine + " but rank " + r + " called "
                        + OpFingerprint.read(theirs) + ": every rank must issue the same collectives in the same order", r);
            }
        }
    }

    private static String describe(HostBuffer b) {
        return b.dtype() + ", " + b.count() + " elements";
    }

    private static String name(ReduceOp op) {
        return op.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public Work allReduce(HostBuffer buffer, ReduceOp op) {
        Reductions.check(buffer.dtype(), op);
        return submit("allReduce", name(op) + ", " + describe(buffer), true, arena -> {
            WireBuffer w = WireBuffer.of(buffer, arena);
            for (long from = 0; from < w.count(); from += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, w.count() - from);
                Mpi.MPI_Allreduce(Mpi.MPI_IN_PLACE, w.addressOf(from), n, MpiTypes.datatype(buffer.dtype()), MpiTypes.op(op, buffer.dtype()), comm);
            }
            w.writeBack();
            if (op == ReduceOp.AVG) Reductions.divide(buffer.segment(), buffer.dtype(), buffer.count(), size);
        });
    }

    @Override
    public Work broadcast(HostBuffer buffer, int root) {
        checkRank("broadcast", root);
        return submit("broadcast", "root " + root + ", " + describe(buffer), true, arena -> {
            WireBuffer w = WireBuffer.of(buffer, arena);
            for (long from = 0; from < w.count(); from += MAX_COUNT) {
                Mpi.MPI_Bcast(w.addressOf(from), (int) Math.min(MAX_COUNT, w.count() - from), MpiTypes.datatype(buffer.dtype()), root, comm);
            }
            w.writeBack();
        });
    }

    @Override
    public Work reduce(HostBuffer buffer, int root, ReduceOp op) {
        checkRank("reduce", root);
        Reductions.check(buffer.dtype(), op);
        return submit("reduce", name(op) + ", root " + root + ", " + describe(buffer), true, arena -> {
            WireBuffer w = WireBuffer.of(buffer, arena);
            for (long from = 0; from < w.count(); from += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, w.count() - from);
                long send = rank == root ? Mpi.MPI_IN_PLACE : w.addressOf(from), recv = rank == root ? w.addressOf(from) : 0L;
                Mpi.MPI_Reduce(send, recv, n, MpiTypes.datatype(buffer.dtype()), MpiTypes.op(op, buffer.dtype()), root, comm);
            }
            if (rank == root) {
                w.writeBack();
                if (op == ReduceOp.AVG) Reductions.divide(buffer.segment(), buffer.dtype(), buffer.count(), size);
            }
        });
    }

    @Override
    public Work allGather(HostBuffer output, HostBuffer input) {
        sameDtype("allGather", output, input);
        if (output.count() != input.count() * size) {
            throw new IllegalArgumentException("allGather: output holds " + output.count() + " elements but needs "
                    + size + " x " + input.count() + " = " + input.count() * size);
        }
        return submit("allGather", describe(input) + " each", true, arena -> {
            if (input.count() > MAX_COUNT) throw new UnsupportedOperationException("allGather of more than 2^31-1 elements per rank over mpi");
            WireBuffer in = WireBuffer.of(input, arena), out = WireBuffer.of(output, arena);
            long t = MpiTypes.datatype(input.dtype());
            Mpi.MPI_Allgather(in.address(), (int) input.count(), t, out.address(), (int) input.count(), t, comm);
            out.writeBack();
        });
    }

    @Override
    public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) {
        sameDtype("reduceScatter", output, input);
        Reductions.check(input.dtype(), op);
        if (input.count() != output.count() * size) {
            throw new IllegalArgumentException("reduceScatter: input holds " + input.count() + " elements but needs "
                    + size + " x " + output.count() + " = " + output.count() * size);
        }
        return submit("reduceScatter", name(op) + ", " + describe(output) + " each", true, arena -> {
            if (output.count() > MAX_COUNT) throw new UnsupportedOperationException("reduceScatter of more than 2^31-1 elements per rank over mpi");
            WireBuffer in = WireBuffer.of(input, arena), out = WireBuffer.of(output, arena);
            Mpi.MPI_Reduce_scatter_block(in.address(), out.address(), (int) output.count(),
                    MpiTypes.datatype(input.dtype()), MpiTypes.op(op, input.dtype()), comm);
            out.writeBack();
            if (op == ReduceOp.AVG) Reductions.divide(output.segment(), output.dtype(), output.count(), size);
        });
    }

    @Override
    public Work barrier() {
        return submit("barrier", "", true, arena -> Mpi.MPI_Barrier(comm));
    }

    @Override
    public Work send(HostBuffer buffer, int peer, int tag) {
        checkRank("send", peer);
        return submit("send", "to " + peer + ", tag " + tag + ", " + describe(buffer), false, arena -> {
            WireBuffer w = WireBuffer.of(buffer, arena);
            for (long from = 0; from < w.count(); from += MAX_COUNT) {
                Mpi.MPI_Send(w.addressOf(from), (int) Math.min(MAX_COUNT, w.count() - from), MpiTypes.datatype(buffer.dtype()), peer, tag, comm);
            }
        });
    }

    @Override
    public Work recv(HostBuffer buffer, int peer, int tag) {
        checkRank("recv", peer);
        return submit("recv", "from " + peer + ", tag " + tag + ", " + describe(buffer), false, arena -> {
            WireBuffer w = WireBuffer.of(buffer, arena);
            for (long from = 0; from < w.count(); from += MAX_COUNT) {
                Mpi.MPI_Recv(w.addressOf(from), (int) Math.min(MAX_COUNT, w.count() - from), MpiTypes.datatype(buffer.dtype()), peer, tag, comm);
            }
            w.writeBack();
        });
    }

    private void checkRank(String op, int r) {
        if (r < 0 || r >= size) throw new IllegalArgumentException(op + ": rank " + r + " is not in this group of " + size);
    }

    private static void sameDtype(String op, HostBuffer a, HostBuffer b) {
        if (a.dtype() != b.dtype()) throw new IllegalArgumentException(op + ": output is " + a.dtype() + " but input is " + b.dtype());
    }

    /** After the issued work: frees a subgroup's communicator, or finalizes MPI for the world group; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        worker.execute(() -> {
            if (Mpi.MPI_Finalized()) return;
            if (members != null) Mpi.MPI_Comm_free(comm);
            else Mpi.MPI_Finalize();
        });
        worker.shutdown();
        try {
            worker.awaitTermination(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
