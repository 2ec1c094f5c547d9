package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.HostStagedGroup;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.reducer.BucketBuffer;
import io.ddp4j.ddp.reducer.IterationTimeline;
import io.ddp4j.ddp.reducer.Reducer;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.nn.Module;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Data-parallel training with one process (or thread) per device, PyTorch's
 * {@code DistributedDataParallel}. Each rank holds a full replica of the model and trains on its
 * own shard of each batch; gradients are averaged across ranks while backward runs, so after
 * {@code loss.backward()} every rank holds the same gradients and the same optimizer step keeps
 * the replicas equal.
 *
 * <pre>{@code
 * var ddp = DistributedDataParallel.wrap(model, dist.group(), DdpOptions.defaults());
 * var opt = new SGD(model.parameters(), SGD.options().lr(0.1));
 * for (var batch : loader) {
 *     opt.zeroGrad();
 *     Tensor loss = lossFn.forward(ddp.forward(batch.input()), batch.target());  // mean over this rank's shard
 *     loss.backward();                                                           // buckets all-reduced as gradients arrive
 *     opt.step();
 * }
 * }</pre>
 *
 * <p>At construction every rank checks that all ranks' parameters have the same names, shapes and
 * dtypes in the same order (the first difference is named with both ranks' versions), then
 * parameters and buffers are copied from rank 0. The reducer ({@link Reducer}) does the rest.
 * With a mean-reduced loss on equal shards the averaged gradient equals the gradient of the mean
 * over the whole batch; BatchNorm needs {@link io.ddp4j.ddp.nn.SyncBatchNorm} for that (otherwise
 * each rank normalises its own shard).
 *
 * <p>Buffers (BatchNorm running statistics) are broadcast from rank 0 at each forward in training
 * mode ({@code broadcastBuffers}); PyTorch also does it in eval mode, which hangs when only some
 * ranks evaluate, so ddp4j does not.
 */
public final class DistributedDataParallel implements AutoCloseable {
    private final Module module;
    private final ProcessGroup group;
    /** {@link #group}, or a wrapper of it that stages host buffers through device memory. */
    private final ProcessGroup control;
    private final DdpOptions options;
    private final Reducer reducer;
    private final List<Tensor> buffers;
    private final Map<DType, BucketBuffer> bufferStaging = new LinkedHashMap<>();
    private boolean requireSync = true;
    private boolean joinActive;
    private int authoritativeRank;
    private boolean closed;

    private DistributedDataParallel(Module module, ProcessGroup group, DdpOptions options) {
        this.module = module;
        this.group = group;
        // the small host collectives (model check, rank check, bucket order, join) go through
        // device scratch when the group takes device buffers only (nccl), as in PyTorch
        this.control = HostStagedGroup.forHostBuffers(group);
        this.options = options;
        List<String> names = new ArrayList<>();
        List<Tensor> params = new ArrayList<>();
        module.namedParameters().forEach((n, t) -> {
            if (t.requiresGrad()) {
                names.add(n);
                params.add(t);
            }
        });
        if (params.isEmpty()) throw new IllegalArgumentException("DDP: " + module.describe() + " has no parameter that requires grad; there is nothing to reduce");
        Device device = params.getFirst().device();
        this.buffers = List.copyOf(module.namedBuffers().values());
        if (group.size() > 1) {
            verifySameModel(control, names, params);
            broadcastCoalesced(group, params, 0);
            broadcastCoalesced(group, buffers, 0);
        }
        for (Tensor p : params)
            if (!p.device().equals(device)) throw new IllegalArgumentException("DDP: one device per replica; parameters are on " + device + " and " + p.device());
        this.reducer = new Reducer(group, control, names, params, options);
    }

    /** Wraps {@code module} (each rank its own replica) for training over {@code group}. Collective: every rank must call it. */
    public static DistributedDataParallel wrap(Module module, ProcessGroup group, DdpOptions options) {
        return new DistributedDataParallel(module, group, options);
    }

    public static DistributedDataParallel wrap(Module module, ProcessGroup group) {
        return wrap(module, group, DdpOptions.defaults());
    }

    /**
     * Runs the module. With grad mode on and outside {@link #noSync()}, the next backward pass
     * reduces the gradients (so it must follow on every rank). Issues collectives (buffer
     * broadcast, the bucket rebuild once, the step check) that every rank must issue too.
     */
    public Tensor forward(Tensor input) {
        if (closed) throw new IllegalStateException("DDP: closed");
        boolean sync = requireSync && GradMode.isEnabled();
        boolean syncBuffers = options.broadcastBuffers() && !buffers.isEmpty() && module.isTraining() && group.size() > 1;
        if (joinActive) joinRound(true, sync, sync && reducer.rebuildPending(), syncBuffers);
        if (sync) reducer.rebuildBucketsIfPending();
        if (syncBuffers) broadcastBuffers(0);
        Tensor out = module.forward(input);
        if (sync) reducer.prepareForBackward(List.of(out));
        return out;
    }

    public Module module() {
        return module;
    }

    public ProcessGroup group() {
        return group;
    }

    public DdpOptions options() {
        return options;
    }

    public Reducer reducer() {
        return reducer;
    }

    /** Overlap statistics over the recorded iterations. */
    public ReducerStats stats() {
        return reducer.stats();
    }

    public List<IterationTimeline> timelines() {
        return reducer.timelines();
    }

    public void writeChromeTrace(Path file) throws IOException {
        reducer.writeChromeTrace(file);
    }

    /**
     * Gradient accumulation: inside the returned scope, forward/backward only accumulate gradients
     * locally (no communication); the first synchronised backward after it reduces the sum. With
     * k micro-batches, divide each loss by k to get the mean. Every rank must use it alike.
     *
     * <pre>{@code
     * try (var ns = ddp.noSync()) { for (int i = 0; i < k - 1; i++) lossOf(micro[i]).div(k).backward(); }
     * lossOf(micro[k - 1]).div(k).backward();   // reduces the accumulated gradients
     * }</pre>
     */
    public NoSync noSync() {
        return new NoSync();
    }

    /** Restores synchronisation when closed. */
    public final class NoSync implements AutoCloseable {
        private final boolean previous = requireSync;
        private boolean done;

        private NoSync() {
            requireSync = false;
        }

        @Override
        public void close() {
            if (done) return;
            done = true;
            requireSync = previous;
        }
    }

    // ---------------------------------------------------------------- join (uneven inputs)

    /**
     * Training on uneven inputs, PyTorch's {@code Join}: put the training loop inside; ranks that run
     * out of batches wait in {@link Join#close()} and shadow the others' collectives until every
     * rank has run out.
     *
     * <p>The protocol. While a join is active, every forward first all-reduces (sum) a small
     * vector: [1 (still training), 1 if this iteration synchronises gradients, 1 if it rebuilds the
     * buckets, 1 if it broadcasts buffers, then a one-hot of this rank]. A rank that has left its
     * loop runs rounds of the same all-reduce contributing zeros: when the first entry comes back 0,
     * every rank has joined and the loop ends; otherwise the joined rank issues what the training
     * ranks issue in that iteration, in the same order: the rank-0 broadcast of the bucket order (if
     * rebuilding), the buffer broadcast (if any), then the step check (as "joined") and each bucket's
     * communication hook over zero buffers. Joined ranks thus add zeros; sums are still divided by
     * the group's size (PyTorch's {@code divide_by_initial_world_size}), so gradients of iterations
     * with joined ranks are scaled by (ranks training / ranks). When all have joined, the parameters
     * and buffers of the last rank to train (the highest such rank) are broadcast to every rank so the
     * replicas end equal. Collectives inside the model (SyncBatchNorm) cannot be shadowed; a forward
     * with grad must be followed by its backward.
     */
    public Join join() {
        if (joinActive) throw new IllegalStateException("DDP: a join is already active");
        return new Join();
    }

    public final class Join implements AutoCloseable {
        private boolean done;

        private Join() {
            joinActive = true;
            authoritativeRank = group.rank();
        }

        /** Shadows the other ranks' collectives until every rank has joined; collective. */
        @Override
        public void close() {
            if (done) return;
            done = true;
            try {
                while (true) {
                    int[] v = joinRound(false, false, false, false);
                    if (v[0] == 0) break;
                    if (v[2] > 0) reducer.rebuildBucketsForJoin();
                    if (v[3] > 0) broadcastBuffers(0);
                    if (v[1] > 0) reducer.shadowIteration();
                }
                List<Tensor> params = module.parameters();
                broadcastCoalesced(group, params, authoritativeRank);
                broadcastCoalesced(group, buffers, authoritativeRank);
            } finally {
                joinActive = false;
            }
        }
    }

    private int[] joinRound(boolean active, boolean sync, boolean rebuild, boolean syncBuffers) {
        int w = group.size();
        int[] v = new int[4 + w];
        if (active) {
            v[0] = 1;
            v[1] = sync ? 1 : 0;
            v[2] = rebuild ? 1 : 0;
            v[3] = syncBuffers ? 1 : 0;
            v[4 + group.rank()] = 1;
        }
        control.allReduce(HostBuffer.of(v), ReduceOp.SUM).await();
        if (v[0] > 0) for (int r = w - 1; r >= 0; r--) if (v[4 + r] > 0) { authoritativeRank = r; break; }
        return v;
    }

    // ---------------------------------------------------------------- construction checks and broadcasts

    /** Every rank learns every rank's parameter list; all throw the same message naming the first difference. */
    static void verifySameModel(ProcessGroup group, List<String> names, List<Tensor> params) {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            mine.add(names.get(i) + " " + p.dtype() + Arrays.toString(p.shape()));
        }
        byte[] bytes = String.join("\n", mine).getBytes(StandardCharsets.UTF_8);
        int w = group.size();
        long[] lens = new long[w];
        group.allGather(HostBuffer.of(lens), HostBuffer.of((long) bytes.length)).await();
        long max = Arrays.stream(lens).max().orElse(0);
        Arena arena = Arena.ofAuto();
        HostBuffer in = HostBuffer.allocate(arena, DType.U8, max);
        HostBuffer out = HostBuffer.allocate(arena, DType.U8, max * w);
        in.segment().asSlice(0, bytes.length).copyFrom(java.lang.foreign.MemorySegment.ofArray(bytes));
        group.allGather(out, in).await();
        List<List<String>> all = new ArrayList<>();
        for (int r = 0; r < w; r++) {
            byte[] b = out.segment().asSlice(r * max, lens[r]).toArray(ValueLayout.JAVA_BYTE);
            String s = new String(b, StandardCharsets.UTF_8);
            all.add(s.isEmpty() ? List.of() : List.of(s.split("\n")));
        }
        List<String> ref = all.getFirst();
        for (int r = 1; r < w; r++) {
            List<String> other = all.get(r);
            int n = Math.min(ref.size(), other.size());
            for (int i = 0; i < n; i++) {
                if (!ref.get(i).equals(other.get(i)))
                    throw new IllegalArgumentException("DDP: the models differ across ranks: parameter #" + i + " is '" + ref.get(i) + "' on rank 0 but '"
                            + other.get(i) + "' on rank " + r + " (every rank must build the same model, with parameters registered in the same order)");
            }
            if (ref.size() != other.size()) {
                String extra = ref.size() > other.size() ? "'" + ref.get(n) + "' on rank 0" : "'" + other.get(n) + "' on rank " + r;
                throw new IllegalArgumentException("DDP: the models differ across ranks: rank 0 has " + ref.size() + " parameters, rank " + r + " has "
                        + other.size() + "; the first without a counterpart is parameter #" + n + ", " + extra);
            }
        }
    }

    /** Copies {@code root}'s tensors to every rank, one broadcast per dtype. */
    static void broadcastCoalesced(ProcessGroup group, List<Tensor> tensors, int root) {
        Map<DType, List<Tensor>> byType = new LinkedHashMap<>();
        for (Tensor t : tensors) byType.computeIfAbsent(t.dtype(), k -> new ArrayList<>()).add(t);
        for (Map.Entry<DType, List<Tensor>> e : byType.entrySet()) {
            long n = 0;
            for (Tensor t : e.getValue()) n += t.numel();
            try (BucketBuffer buf = BucketBuffer.allocate(e.getKey(), e.getValue().getFirst().device(), n)) {
                broadcastThrough(group, buf, e.getValue(), root);
            }
        }
    }

    private static void broadcastThrough(ProcessGroup group, BucketBuffer buf, List<Tensor> tensors, int root) {
        boolean isRoot = group.rank() == root;
        try (GradMode.Guard g = GradMode.noGrad()) {
            if (isRoot) copy(buf, tensors, true);
            buf.broadcast(group, root).await();
            if (!isRoot) copy(buf, tensors, false);
        } catch (DistributedException e) {
            throw e;
        }
    }

    private static void copy(BucketBuffer buf, List<Tensor> tensors, boolean in) {
        long off = 0;
        for (Tensor t : tensors) {
            try (Tensor v = buf.view(off, t.shape())) {
                if (in) v.copyFrom(t);
                else t.copyFrom(v);
            }
            off += t.numel();
        }
    }

    private void broadcastBuffers(int root) {
        Map<DType, List<Tensor>> byType = new LinkedHashMap<>();
        for (Tensor t : buffers) byType.computeIfAbsent(t.dtype(), k -> new ArrayList<>()).add(t);
        for (Map.Entry<DType, List<Tensor>> e : byType.entrySet()) {
            long n = 0;
            for (Tensor t : e.getValue()) n += t.numel();
            long count = n;
            BucketBuffer buf = bufferStaging.computeIfAbsent(e.getKey(), k -> BucketBuffer.allocate(k, e.getValue().getFirst().device(), count));
            broadcastThrough(group, buf, e.getValue(), root);
        }
    }

    /**
     * Removes the reducer's hooks and frees the buckets (gradients that were bucket views are copied
     * out). Throws a failure of the last iteration's reductions that no forward checked (see
     * {@link Reducer#close()}), after freeing the rest.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            reducer.close();
        } finally {
            bufferStaging.values().forEach(BucketBuffer::close);
            if (control != group) control.close(); // frees the staging scratch only; the group is the caller's
        }
    }

    @Override
    public String toString() {
        return "DistributedDataParallel(rank " + group.rank() + " of " + group.size() + ", " + reducer.bucketBytes().size() + " buckets, " + module.describe() + ")";
    }
}
