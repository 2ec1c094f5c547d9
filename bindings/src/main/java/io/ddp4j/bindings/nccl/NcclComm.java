package io.ddp4j.bindings.nccl;

import io.ddp4j.bindings.NcclException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owns one NCCL communicator ({@code ncclComm_t}). {@link #close()} frees it and may be called
 * any number of times, from any thread; {@link #abort()} is the way out for a communicator that is
 * broken or stuck (a watchdog thread may call it while another thread waits inside NCCL). After
 * either, {@link #handle()} throws instead of handing out a dangling pointer.
 */
public final class NcclComm implements AutoCloseable {
    private final int rank;
    private final int nranks;
    private final AtomicLong handle;

    private NcclComm(long handle, int rank, int nranks) {
        if (handle == 0) throw new IllegalStateException("NCCL gave a null communicator for rank " + rank + " of " + nranks);
        this.handle = new AtomicLong(handle);
        this.rank = rank;
        this.nranks = nranks;
    }

    /** Blocking ncclCommInitRank on the current CUDA device; returns once every rank has joined. */
    public static NcclComm initRank(int nranks, NcclUniqueId id, int rank) {
        return new NcclComm(Nccl.ncclCommInitRank(nranks, id, rank), rank, nranks);
    }

    /**
     * ncclCommInitRankConfig on the current CUDA device. With a non-blocking config the
     * communicator may still be initialising when this returns: {@link #awaitReady} before use.
     */
    public static NcclComm initRank(int nranks, NcclUniqueId id, int rank, NcclConfig config) {
        // NCCL keeps the commName pointer for the communicator's whole life, reclaim included, which
        // can end on an NCCL thread after close() returns; so a name, a few bytes, is never freed.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment struct = NcclConfigLayout.write(config, arena, config.commName() == null ? arena : Arena.global());
            return new NcclComm(Nccl.ncclCommInitRankConfig(nranks, id, rank, struct), rank, nranks);
        }
    }

    /** {@link #initRank(int, NcclUniqueId, int, NcclConfig)} then {@link #awaitReady(Duration)}. */
    public static NcclComm initRankAndWait(int nranks, NcclUniqueId id, int rank, NcclConfig config, Duration timeout) {
        NcclComm comm = initRank(nranks, id, rank, config);
        comm.awaitReady(timeout);
        return comm;
    }

    /** ncclCommInitAll: one communicator per listed device of this process, rank i on {@code devices[i]}. */
    public static List<NcclComm> initAll(int... devices) {
        long[] handles = Nccl.ncclCommInitAll(devices.length, devices);
        List<NcclComm> comms = new ArrayList<>(handles.length);
        for (int i = 0; i < handles.length; i++) comms.add(new NcclComm(handles[i], i, handles.length));
        return comms;
    }

    /** The raw {@code ncclComm_t} for the {@link Nccl} calls. */
    public long handle() {
        long h = handle.get();
        if (h == 0) throw new IllegalStateException("the NCCL communicator of rank " + rank + " of " + nranks + " is closed");
        return h;
    }

    /** The rank this communicator was made for (what ncclCommUserRank answers, without asking NCCL). */
    public int rank() {
        return rank;
    }

    /** The number of ranks it was made for. */
    public int nranks() {
        return nranks;
    }

    public boolean isClosed() {
        return handle.get() == 0;
    }

    public int count() {
        return Nccl.ncclCommCount(handle());
    }

    public int cuDevice() {
        return Nccl.ncclCommCuDevice(handle());
    }

    public int userRank() {
        return Nccl.ncclCommUserRank(handle());
    }

    /** ncclCommGetAsyncError: ncclSuccess, ncclInProgress, or the error that broke the communicator. */
    public int asyncError() {
        return Nccl.ncclCommGetAsyncError(handle());
    }

    /**
     * Waits until a non-blocking init has finished. On an error, or at the timeout, aborts the
     * communicator (so this object is closed) and throws {@link NcclException} or
     * {@link NcclTimeoutException}, naming the rank.
     */
    public void awaitReady(Duration timeout) {
        awaitCompletion("communicator init", timeout);
    }

    /**
     * ncclCommFinalize, then waits until the communicator is quiescent (a non-blocking one answers
     * ncclInProgress meanwhile). {@link #close()} afterwards frees it without blocking.
     */
    public void finalizeAndWait(Duration timeout) {
        if (Nccl.ncclCommFinalize(handle()) == Nccl.ncclInProgress) awaitCompletion("ncclCommFinalize", timeout);
    }

    /**
     * Waits until the communicator's last non-blocking call ({@code operation}, named in the
     * exceptions) has left ncclInProgress; fails and aborts like {@link #awaitReady}.
     */
    public void awaitCompletion(String operation, Duration timeout) {
        // handle() on every poll: if another thread aborts meanwhile, the wait stops with
        // IllegalStateException instead of querying a freed communicator
        NcclAsyncWait.REAL.await(() -> Nccl.ncclCommGetAsyncError(handle()), this::abort, operation, rank, nranks, timeout);
    }

    /** ncclCommAbort: stops its work on the device and frees it. Does nothing once closed. */
    public void abort() {
        long h = handle.getAndSet(0);
        if (h != 0) Nccl.ncclCommAbort(h);
    }

    /**
     * Frees the communicator: ncclCommDestroy when it is healthy, ncclCommAbort when it reports an
     * error or is still in progress (ncclCommDestroy refuses those and would leave it allocated).
     * Does nothing once closed.
     */
    @Override
    public void close() {
        long h = handle.getAndSet(0);
        if (h == 0) return;
        int state;
        try {
            state = Nccl.ncclCommGetAsyncError(h);
        } catch (NcclException e) {
            state = e.code();
        }
        if (state == Nccl.ncclSuccess) {
            Nccl.ncclCommDestroy(h);
        } else {
            Nccl.ncclCommAbort(h);
        }
    }

    @Override
    public String toString() {
        return "NcclComm[rank " + rank + " of " + nranks + (isClosed() ? ", closed]" : "]");
    }
}
