package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.parallel.DdpOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.PeerFailureException;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.Engine;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.autograd.HookHandle;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reduces gradients across a process group while backward runs, PyTorch's {@code Reducer}.
 *
 * <p><b>Buckets.</b> Parameters are grouped by dtype and device into buckets ({@link BucketPlan}):
 * reverse registration order at first, a small first bucket, then larger ones. Each bucket owns a
 * flat {@link BucketBuffer}; with {@code gradientAsBucketView} (the default) every parameter's
 * {@code .grad} is a view into it, so autograd accumulates straight into the memory that is
 * communicated and nothing is copied.
 *
 * <p><b>An iteration.</b> {@link #prepareForBackward} (called after each synchronised forward) resets
 * the per-bucket counts of gradients still to come. Each parameter's grad-ready hook (which the
 * engine fires the moment that gradient is final) counts its bucket down; when a bucket reaches
 * zero and every bucket before it was launched, it is launched (its communication hook issues the
 * all-reduce, which the group runs on its own thread); later buckets that were ready already go
 * with it. So every rank launches buckets in the same order, whatever order they became ready in.
 * The first hook of the iteration queues the end-of-backward callback (Engine.queueCallback); it
 * checks that every bucket was launched (else names the parameters that got no gradient), waits
 * for the reductions, and the gradients are averaged.
 *
 * <p><b>Waiting on the device.</b> When every bucket lives in device memory that a stream reads
 * ({@link BucketBuffer#streamOrdered()}, CUDA) and its hook's result is the collective itself (the
 * default all-reduce with ncclAvg), the end-of-backward callback does not block the host: it makes
 * the compute stream wait for each bucket's collective ({@link BucketBuffer#awaitOnComputeStream}),
 * so the optimizer step is enqueued at once and runs after the reduction. The host checks those
 * collectives (and records the iteration's timeline) one iteration later, at the next synchronised
 * forward, where they have long finished in steady state; a failure is raised there, naming the
 * bucket and the iteration. The first iteration, which records the bucket order, and iterations
 * with a per-step rank check still wait on the host.
 *
 * <p><b>Rebuild.</b> The first synchronised iteration records the order gradients became ready;
 * at the next forward rank 0's order is broadcast and the buckets are rebuilt once in that order
 * (unless unused parameters are searched for without a static graph, as in PyTorch).
 *
 * <p><b>Observed.</b> Per iteration the reducer records when each bucket became ready, was launched
 * and completed, and when backward ended ({@link #stats()}, {@link #timelines()},
 * {@link #writeChromeTrace}); the same events go to JDK Flight Recorder. A watchdog warns, naming
 * the buckets and parameters still waiting, when a backward takes far longer than usual.
 *
 * <p>Not thread-safe: forward, backward and the end-of-backward callback of one reducer run on one
 * thread at a time (each DataParallel replica has its own reducer).
 */
public final class Reducer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ddp4j.ddp");
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("ddp4j-ddp-watchdog").unstarted(r));

    private final ProcessGroup group;
    private final ProcessGroup control;
    private final int rank;
    private final List<Tensor> params;
    private final List<String> names;
    private final List<BucketPlan.Param> infos;
    private final DdpOptions options;
    private final ExecutorService completion;
    private final HookHandle[] hookHandles;
    private final long origin = System.nanoTime();
    private final Context context = new Context();
    private final BucketBuffer.Allocator allocator;

    private List<Bucket> buckets;
    private int[] bucketOf;
    private int[] slotOf;

    // iteration state: the training thread
    private long iteration;
    private volatile boolean expecting;
    private boolean hookSeen;
    private int next;
    private boolean[] ready;
    private volatile int[] pending;
    private List<Integer> unused = List.of();
    private List<Integer> staticUnused;
    private boolean recordOrder;
    private final List<Integer> observed = new ArrayList<>();
    private boolean rebuilt;
    private boolean rebuildPending;
    private Work checkWork;
    private HostBuffer checkIn;
    private HostBuffer checkOut;
    private volatile long backwardStart;
    private long backwardEnd;
    /**
     * The last iteration's reductions were left to the compute stream and the host has not checked
     * them yet. Until it does, that iteration's state (its number, buckets and their events) stays
     * as it was: only prepareForBackward and a rebuild change it, and both check first.
     */
    private boolean hostCheckPending;
    private volatile int divisor;
    private boolean closed;

    // observation
    private final ArrayDeque<IterationTimeline> history = new ArrayDeque<>();
    private final ArrayDeque<Long> recentDurations = new ArrayDeque<>();
    private volatile long medianNanos;
    private volatile List<String> lastUnused = List.of();
    private volatile long warnedIteration;
    private final ScheduledFuture<?> watchdog;
    private static final ReducerEvents EVENTS = ReducerEvents.forThisRuntime();
    private ReducerEvents.Span backwardSpan;

    /** One bucket: its buffer, its parameters' views, and this iteration's events. */
    private static final class Bucket {
        final int index;
        final BucketPlan.Bucket plan;
        final BucketBuffer buffer;
        final Tensor[] views;
        final long[] offsets;
        final List<String> names;
        volatile long ready;
        volatile long launched;
        volatile long completed;
        /** What the communication hook returned, and that with the completion time recorded. */
        CompletableFuture<Void> hookResult;
        CompletableFuture<Void> future;

        Bucket(int index, BucketPlan.Bucket plan, BucketBuffer buffer, Tensor[] views, long[] offsets, List<String> names) {
            this.index = index;
            this.plan = plan;
            this.buffer = buffer;
            this.views = views;
            this.offsets = offsets;
            this.names = names;
        }
    }

    /**
     * @param params parameters in registration order (the module's {@code namedParameters()}); each must require grad
     */
    public Reducer(ProcessGroup group, List<String> names, List<Tensor> params, DdpOptions options) {
        this(group, group, names, params, options);
    }

    /**
     * @param control the group for the reducer's small host collectives (rank check, bucket
     *                order): {@code group} itself, or a {@link io.ddp4j.ddp.pg.HostStagedGroup}
     *                over it when it takes device buffers only; not closed by the reducer
     */
    public Reducer(ProcessGroup group, ProcessGroup control, List<String> names, List<Tensor> params, DdpOptions options) {
        this(group, control, names, params, options, BucketBuffer::allocate);
    }

    /** With the buckets' memory from {@code allocator} (tests: buffers that pose as device memory). */
    Reducer(ProcessGroup group, ProcessGroup control, List<String> names, List<Tensor> params, DdpOptions options, BucketBuffer.Allocator allocator) {
        this.allocator = allocator;
        if (names.size() != params.size()) throw new IllegalArgumentException(names.size() + " names for " + params.size() + " parameters");
        if (params.isEmpty()) throw new IllegalArgumentException("DDP needs a module with at least one parameter that requires grad");
        this.group = group;
        this.control = control;
        this.rank = group.rank();
        this.params = List.copyOf(params);
        this.names = List.copyOf(names);
        this.options = options;
        this.divisor = group.size();
        List<BucketPlan.Param> in = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (!p.requiresGrad() || !p.isLeaf())
                throw new IllegalArgumentException("DDP: parameter '" + names.get(i) + "' " + p.describe() + " must be a leaf that requires grad");
            in.add(new BucketPlan.Param(i, p.dtype(), p.device(), p.numel()));
        }
        this.infos = List.copyOf(in);
        this.completion = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("ddp4j-ddp-completion-rank" + rank).unstarted(r));
        install(BucketPlan.compute(infos, BucketPlan.reverse(params.size()), options.bucketCapsBytes()));
        this.hookHandles = new HookHandle[params.size()];
        for (int i = 0; i < params.size(); i++) {
            int idx = i;
            hookHandles[i] = params.get(i).registerGradReadyHook(t -> onGradReady(idx));
        }
        long period = Math.max(10, Math.min(1000, options.stallFloor().toMillis() / 4));
        this.watchdog = WATCHDOG.scheduleAtFixedRate(this::checkStall, period, period, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- buckets

    private void install(List<BucketPlan.Bucket> plan) {
        List<Bucket> made = new ArrayList<>();
        int[] of = new int[params.size()];
        int[] slot = new int[params.size()];
        for (int b = 0; b < plan.size(); b++) {
            BucketPlan.Bucket pb = plan.get(b);
            BucketBuffer buffer = allocator.allocate(pb.dtype(), pb.device(), pb.numel());
            Tensor[] views = new Tensor[pb.params().size()];
            long[] offsets = new long[views.length];
            List<String> bnames = new ArrayList<>();
            long off = 0;
            for (int j = 0; j < views.length; j++) {
                int i = pb.params().get(j);
                Tensor p = params.get(i);
                views[j] = buffer.view(off, p.shape());
                offsets[j] = off;
                of[i] = b;
                slot[i] = j;
                bnames.add(names.get(i));
                off += p.numel();
            }
            made.add(new Bucket(b, pb, buffer, views, offsets, List.copyOf(bnames)));
        }
        List<Bucket> old = buckets;
        int[] oldOf = bucketOf;
        int[] oldSlot = slotOf;
        buckets = List.copyOf(made);
        bucketOf = of;
        slotOf = slot;
        pending = new int[buckets.size()];
        if (old == null) return;
        // move the gradients into the new buffers (they may be needed: accumulation, or a step not yet taken)
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor oldView = old.get(oldOf[i]).views[oldSlot[i]];
                Tensor newView = view(i);
                newView.copyFrom(oldView);
                if (params.get(i).grad() == oldView) params.get(i).setGrad(newView);
            }
        }
        for (Bucket b : old) {
            for (Tensor v : b.views) v.close();
            b.buffer.close();
        }
        // memory sized for the old plan: a rebuild runs only once every reduction ended (requireQuiescent)
        if (shadows != null) {
            shadows.forEach(BucketBuffer::close);
            shadows = null;
        }
        context.closeScratch(Set.of());
    }

    private Tensor view(int param) {
        return buckets.get(bucketOf[param]).views[slotOf[param]];
    }

    /** The current buckets' parameter names, in launch order. */
    public List<List<String>> bucketParameterNames() {
        return buckets.stream().map(b -> b.names).toList();
    }

    /** The current buckets' sizes in bytes, in launch order. */
    public List<Long> bucketBytes() {
        return buckets.stream().map(b -> b.plan.numel() * b.plan.dtype().byteSize()).toList();
    }

    /** The bucket buffer of bucket {@code i} (for tests and hooks). */
    public BucketBuffer bucketBuffer(int i) {
        return buckets.get(i).buffer;
    }

    public boolean hasRebuiltBuckets() {
        return rebuilt;
    }

    public long iteration() {
        return iteration;
    }

    /** Whether the next synchronised forward will rebuild the buckets (a collective every rank must join). */
    public boolean rebuildPending() {
        return rebuildPending;
    }

    /**
     * Rebuilds the buckets once from the order gradients became ready in the first synchronised
     * iteration, rank 0's order broadcast to every rank. Called at the start of a synchronised
     * forward; returns whether it rebuilt.
     */
    public boolean rebuildBucketsIfPending() {
        if (!rebuildPending) return false;
        checkDeviceOrdered(); // the old buffers are about to be freed
        requireQuiescent("rebuild the buckets");
        rebuildPending = false;
        rebuilt = true;
        int n = params.size();
        int[] order = new int[n];
        boolean[] in = new boolean[n];
        int k = 0;
        for (int i : observed) if (!in[i]) { in[i] = true; order[k++] = i; }
        for (int i = n - 1; i >= 0; i--) if (!in[i]) order[k++] = i;
        if (group.size() > 1) {
            HostBuffer buf = HostBuffer.of(order);
            control.broadcast(buf, 0).await();
        }
        List<Integer> list = Arrays.stream(order).boxed().toList();
        List<BucketPlan.Bucket> plan = BucketPlan.compute(infos, list, options.bucketCapsBytes());
        List<BucketPlan.Bucket> current = buckets.stream().map(b -> b.plan).toList();
        if (!plan.equals(current)) install(plan);
        return true;
    }

    /** A joined rank's part in the others' rebuild (it may never have synchronised an iteration itself). */
    public void rebuildBucketsForJoin() {
        if (rebuilt) return;
        rebuildPending = true;
        rebuildBucketsIfPending();
    }

    // ---------------------------------------------------------------- an iteration

    /**
     * Starts a synchronised iteration: called after the forward pass when gradients are to be
     * reduced. {@code outputs} are the forward's outputs (used to find unused parameters).
     */
    public void prepareForBackward(Collection<Tensor> outputs) {
        if (closed) throw new IllegalStateException("DDP: the reducer was closed");
        checkDeviceOrdered();
        if (expecting && hookSeen) {
            List<String> missing = unreadyNames();
            expecting = false;
            throw new IllegalStateException("DDP (rank " + rank + "): iteration " + iteration + "'s reduction did not finish before this forward "
                    + "started (its backward failed, or was still running on another thread); parameters whose gradients were not reduced: " + missing);
        }
        requireQuiescent("start iteration " + (iteration + 1));
        iteration++;
        hookSeen = false;
        backwardStart = 0;
        next = 0;
        ready = new boolean[params.size()];
        int[] p = new int[buckets.size()];
        for (Bucket b : buckets) p[b.index] = b.views.length;
        pending = p;
        for (Bucket b : buckets) {
            b.ready = 0;
            b.launched = 0;
            b.completed = 0;
            b.hookResult = null;
            b.future = null;
        }
        recordOrder = !rebuilt && !rebuildPending && observed.isEmpty();
        if (options.gradientAsBucketView()) {
            try (GradMode.Guard g = GradMode.noGrad()) {
                for (int i = 0; i < params.size(); i++) {
                    Tensor param = params.get(i);
                    Tensor v = view(i);
                    Tensor grad = param.grad();
                    if (grad == v) continue;
                    if (grad == null || grad.isClosed()) v.zeroInPlace();
                    else v.copyFrom(grad);
                    param.setGrad(v);
                }
            }
        }
        unused = findUnused(outputs);
        lastUnused = unused.stream().map(names::get).toList();
        if (checksRanks()) issueCheck(iteration);
        else checkWork = null;
        expecting = true;
    }

    private List<Integer> findUnused(Collection<Tensor> outputs) {
        boolean search = options.findUnusedParameters() || (options.staticGraph() && staticUnused == null);
        if (options.staticGraph() && staticUnused != null) return staticUnused;
        if (!search || outputs == null) return List.of();
        Set<Tensor> reached = Engine.reachableLeaves(outputs);
        Set<Tensor> reachedIds = Collections.newSetFromMap(new IdentityHashMap<>());
        reachedIds.addAll(reached);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) if (!reachedIds.contains(params.get(i))) out.add(i);
        if (options.staticGraph()) staticUnused = List.copyOf(out);
        return List.copyOf(out);
    }

    private void issueCheck(long value) {
        if (checkIn == null) {
            Arena arena = Arena.ofAuto();
            checkIn = HostBuffer.allocate(arena, DType.I64, 1);
            checkOut = HostBuffer.allocate(arena, DType.I64, group.size());
        }
        checkIn.segment().set(ValueLayout.JAVA_LONG, 0, value);
        checkWork = control.allGather(checkOut, checkIn);
    }

    private void onGradReady(int i) {
        if (!expecting) return; // not synchronising (noSync, or no forward through DDP): the gradient stays accumulated in .grad
        if (!hookSeen) {
            hookSeen = true;
            backwardStart = System.nanoTime();
            backwardSpan = EVENTS.backward(iteration, rank, buckets.size());
            Engine.queueCallback(this::finalizeBackward);
            for (int u : unused) markReady(u, true);
        }
        copyIntoBucket(i);
        markReady(i, false);
    }

    private void copyIntoBucket(int i) {
        Tensor param = params.get(i);
        Tensor v = view(i);
        Tensor grad = param.grad();
        if (grad == v) return;
        try (GradMode.Guard g = GradMode.noGrad()) {
            if (grad == null) v.zeroInPlace();
            else v.copyFrom(grad);
        }
        if (options.gradientAsBucketView()) param.setGrad(v);
    }

    private void markReady(int i, boolean unusedParam) {
        if (ready[i]) {
            throw new IllegalStateException("DDP (rank " + rank + "): parameter '" + names.get(i) + "' got its gradient twice in iteration " + iteration
                    + (unusedParam ? "" : ": it was " + (unused.contains(i) ? "found unused after forward and then reached by backward" : "reached by two backward passes"))
                    + ". Each parameter may be reduced once per iteration: run one backward per forward (sum the losses first), "
                    + "or wrap all but the last backward in noSync()");
        }
        if (unusedParam && !options.gradientAsBucketView()) copyIntoBucket(i);
        ready[i] = true;
        if (recordOrder) observed.add(i);
        int b = bucketOf[i];
        if (--pending[b] == 0) {
            Bucket bucket = buckets.get(b);
            bucket.ready = System.nanoTime();
            EVENTS.bucketReady(iteration, rank, b);
            while (next < buckets.size() && pending[next] == 0) launch(buckets.get(next++));
        }
    }

    private void launch(Bucket b) {
        b.launched = System.nanoTime();
        ReducerEvents.Span span = EVENTS.bucketReduce(iteration, rank, b.index, b.plan.numel() * b.plan.dtype().byteSize(), options.commHook().name());
        CompletableFuture<Void> f;
        try {
            f = options.commHook().reduce(context, gradBucket(b));
            if (f == null) throw new IllegalStateException("the communication hook '" + options.commHook().name() + "' returned null");
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        b.hookResult = f;
        b.future = f.whenComplete((v, t) -> {
            b.completed = System.nanoTime();
            span.end();
        });
    }

    private GradBucket gradBucket(Bucket b) {
        return new GradBucket(b.index, buckets.size(), b.buffer, b.names, b.offsets.clone(), iteration);
    }

    private void finalizeBackward() {
        try {
            backwardEnd = System.nanoTime();
            if (backwardSpan != null) backwardSpan.end();
            ReducerEvents.Span finalizing = EVENTS.finalizing(iteration, rank);
            if (next < buckets.size()) throw unusedError();
            boolean onDevice = canWaitOnDevice();
            if (onDevice) {
                for (Bucket b : buckets) b.buffer.awaitOnComputeStream(((WorkResult) b.hookResult).work());
                hostCheckPending = true;
            } else {
                for (Bucket b : buckets) await(b);
                if (checkWork != null) verifyCheck();
            }
            if (!options.gradientAsBucketView()) copyOutOfBuckets(); // on the device: ordered after the waits
            long finished = System.nanoTime();
            finalizing.end();
            if (!onDevice) record(finished);
            if (recordOrder && !rebuilt && (options.staticGraph() || !options.findUnusedParameters())) rebuildPending = true;
        } finally {
            expecting = false;
            recordOrder = false;
        }
    }

    private void copyOutOfBuckets() {
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor param = params.get(i);
                Tensor v = view(i);
                if (param.grad() == null) {
                    param.setGrad(null);
                    param.accumulateGrad(v); // a fresh copy owned by the parameter
                } else {
                    param.grad().copyFrom(v);
                }
            }
        }
    }

    private RuntimeException unusedError() {
        List<String> missing = unreadyNames();
        Bucket stuck = buckets.get(next);
        return new IllegalStateException("DDP (rank " + rank + "): backward of iteration " + iteration + " ended but " + missing.size()
                + " parameter" + (missing.size() == 1 ? "" : "s") + " got no gradient: " + missing + ". Bucket " + stuck.index + " of " + buckets.size()
                + " (and every later one) cannot be reduced without them, and the other ranks would wait for it. "
                + (options.findUnusedParameters()
                ? "They were reachable from the forward's output but no gradient reached them: use every output of forward in the loss."
                : "If they are not used in forward on purpose, pass DdpOptions.withFindUnusedParameters(true); otherwise make sure every "
                + "output of forward takes part in the loss."));
    }

    private List<String> unreadyNames() {
        List<String> out = new ArrayList<>();
        if (ready == null) return out;
        for (int i = 0; i < params.size(); i++) if (!ready[i]) out.add(names.get(i));
        return out;
    }

    /**
     * Whether this iteration's end-of-backward may leave the waiting to the device: every bucket is
     * stream-ordered memory whose hook returned the collective itself, the bucket order is not being
     * recorded (the next forward may rebuild the buffers), and no rank check is pending.
     */
    private boolean canWaitOnDevice() {
        if (recordOrder || checkWork != null) return false;
        for (Bucket b : buckets) if (!b.buffer.streamOrdered() || !(b.hookResult instanceof WorkResult)) return false;
        return true;
    }

    /**
     * The host's check of the last iteration whose reductions the compute stream waited for: waits
     * for them (finished in steady state), records the timeline, and raises a failure naming the
     * bucket and iteration.
     */
    private void checkDeviceOrdered() {
        if (!hostCheckPending) return;
        hostCheckPending = false;
        long finished = backwardEnd;
        for (Bucket b : buckets) {
            await(b);
            finished = Math.max(finished, b.completed);
        }
        record(finished);
    }

    private void await(Bucket b) {
        try {
            b.future.get(options.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
            String msg = "DDP (rank " + rank + "): the reduction of bucket " + b.index + " of " + buckets.size() + " (" + describe(b) + ") in iteration "
                    + iteration + " failed: " + cause.getMessage();
            if (cause instanceof PeerFailureException pf) throw new PeerFailureException(msg, pf.suspectRanks(), cause);
            throw new DistributedException(msg, cause);
        } catch (TimeoutException e) {
            throw new DistributedTimeoutException("DDP (rank " + rank + "): the reduction of bucket " + b.index + " of " + buckets.size() + " (" + describe(b)
                    + ") in iteration " + iteration + " did not complete within " + Durations.format(options.timeout()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("DDP (rank " + rank + "): interrupted while waiting for bucket " + b.index, e);
        }
    }

    /**
     * Waits, up to the timeout in all, for the reductions launched and not finished. After a
     * failure the buckets behind the failed one may still be in their collectives, writing their
     * buffers (and a hook's scratch), and nothing may reuse or free that memory before they end.
     * Returns the buckets and the join shadows still running; both empty in steady state, where
     * every future was awaited already and this is one loop over finished futures.
     */
    private Running drainLaunched() {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        Set<Integer> buckets = new TreeSet<>();
        for (Bucket b : this.buckets) if (!settle(b.future, deadline)) buckets.add(b.index);
        Set<Integer> shadows = new TreeSet<>();
        List<CompletableFuture<Void>> fs = shadowFutures;
        for (int i = 0; i < fs.size(); i++) if (!settle(fs.get(i), deadline)) shadows.add(i);
        return new Running(buckets, shadows);
    }

    /**
     * Reductions still running after the drain: of the buckets' own buffers, and of a joined
     * rank's zero buffers (the shadows). Each keeps only its own memory; a hook's scratch is
     * keyed by bucket index and is written by either.
     */
    private record Running(Set<Integer> buckets, Set<Integer> shadows) {
        boolean isEmpty() {
            return buckets.isEmpty() && shadows.isEmpty();
        }

        Set<Integer> either() {
            Set<Integer> all = new TreeSet<>(buckets);
            all.addAll(shadows);
            return all;
        }

        /** "bucket 1", "buckets [1, 2]", "buckets [2] and the join shadows of buckets [1]". */
        String describe() {
            String own = buckets.isEmpty() ? "" : "bucket" + (buckets.size() == 1 ? " " + buckets.iterator().next() : "s " + buckets);
            String shadow = shadows.isEmpty() ? "" : "the join shadow" + (shadows.size() == 1 ? " of bucket " + shadows.iterator().next() : "s of buckets " + shadows);
            return own.isEmpty() ? shadow : shadow.isEmpty() ? own : own + " and " + shadow;
        }
    }

    /** Whether {@code f} is absent or ended (either way) by {@code deadline}. */
    private static boolean settle(CompletableFuture<Void> f, long deadline) {
        if (f == null || f.isDone()) return true;
        try {
            f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            return true; // ended: its failure follows the one already reported
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Refuses {@code what} while a reduction launched earlier may still write the buckets. */
    private void requireQuiescent(String what) {
        Running running = drainLaunched();
        if (running.isEmpty()) return;
        throw new DistributedTimeoutException("DDP (rank " + rank + "): cannot " + what + ": the reductions of "
                + running.describe() + " launched in iteration " + iteration + " are still running " + Durations.format(options.timeout())
                + " after an earlier failure, and they write the buckets' memory. Close this DDP (it frees what is safe to free), then the process group");
    }

    private static String describe(Bucket b) {
        List<String> n = b.names;
        String list = n.size() <= 6 ? String.join(", ", n) : String.join(", ", n.subList(0, 6)) + ", ... " + (n.size() - 6) + " more";
        return b.plan.numel() + " " + b.plan.dtype() + " elements: " + list;
    }

    private void verifyCheck() {
        Work w = checkWork;
        checkWork = null;
        try {
            w.await();
        } catch (PeerFailureException e) {
            throw new PeerFailureException("DDP (rank " + rank + "): the ranks' step check of iteration " + iteration + " failed (a rank skipped a "
                    + "backward, or ran noSync() when the others did not): " + e.getMessage(), e.suspectRanks(), e);
        }
        long mine = iteration;
        List<Integer> behind = new ArrayList<>();
        List<String> where = new ArrayList<>();
        for (int r = 0; r < group.size(); r++) {
            long theirs = checkOut.segment().get(ValueLayout.JAVA_LONG, (long) r * 8);
            if (theirs < 0) continue; // a rank that has joined (uneven inputs) shadows the collectives
            if (theirs != mine) {
                behind.add(r);
                where.add("rank " + r + " is at iteration " + theirs);
            }
        }
        if (!behind.isEmpty())
            throw new PeerFailureException("DDP (rank " + rank + "): ranks are out of step: this rank is at synchronised iteration " + mine + " but "
                    + String.join(", ", where) + "; a rank skipped a forward/backward or ran it under noSync() alone, so gradients of "
                    + "different iterations would have been averaged", behind);
    }

    // ---------------------------------------------------------------- join: shadowing the collectives of a synchronised iteration

    private List<BucketBuffer> shadows;
    /** The last shadow iteration's reductions, one per bucket (drained like the buckets' own). */
    private List<CompletableFuture<Void>> shadowFutures = List.of();

    /**
     * For a rank that has run out of data (join): issues the collectives that a synchronised
     * iteration issues (the step check, then each bucket's communication hook in bucket order) over
     * zero-filled buffers of the buckets' sizes, and waits for them. The rank's own gradients are
     * not touched.
     */
    public void shadowIteration() {
        checkDeviceOrdered();
        requireQuiescent("shadow the others' iteration");
        if (checksRanks()) {
            issueCheck(-1);
            Work w = checkWork;
            checkWork = null;
            w.await();
        }
        if (shadows == null || !shadowsMatchBuckets()) {
            if (shadows != null) shadows.forEach(BucketBuffer::close);
            shadows = new ArrayList<>();
            for (Bucket b : buckets) shadows.add(allocator.allocate(b.plan.dtype(), b.plan.device(), b.plan.numel()));
        }
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        shadowFutures = fs;
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (Bucket b : buckets) {
                BucketBuffer z = shadows.get(b.index);
                z.flat().zeroInPlace();
                CompletableFuture<Void> f;
                try {
                    f = options.commHook().reduce(context, new GradBucket(b.index, buckets.size(), z, b.names, b.offsets.clone(), -1));
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                fs.add(f);
            }
        }
        for (int i = 0; i < fs.size(); i++) {
            try {
                fs.get(i).get(options.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                throw new DistributedException("DDP (rank " + rank + ", joined): shadowing bucket " + i + " failed: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException | InterruptedException e) {
                throw new DistributedException("DDP (rank " + rank + ", joined): shadowing bucket " + i + " did not complete", e);
            }
        }
    }

    /** Whether the zero buffers still have the buckets' sizes and dtypes (a rebuild may keep the count and change the sizes). */
    private boolean shadowsMatchBuckets() {
        if (shadows.size() != buckets.size()) return false;
        for (Bucket b : buckets) {
            Tensor z = shadows.get(b.index).flat();
            if (z.numel() != b.plan.numel() || z.dtype() != b.plan.dtype()) return false;
        }
        return true;
    }

    // ---------------------------------------------------------------- observation

    private void record(long finished) {
        List<IterationTimeline.BucketEvents> events = new ArrayList<>();
        for (Bucket b : buckets)
            events.add(new IterationTimeline.BucketEvents(b.index, b.plan.numel() * b.plan.dtype().byteSize(), b.views.length, b.ready, b.launched, b.completed));
        IterationTimeline t = new IterationTimeline(iteration, rank, backwardStart, backwardEnd, finished, List.copyOf(events));
        synchronized (history) {
            history.addLast(t);
            while (history.size() > options.historySize()) history.removeFirst();
            recentDurations.addLast(finished - backwardStart);
            while (recentDurations.size() > 21) recentDurations.removeFirst();
            long[] d = recentDurations.stream().mapToLong(Long::longValue).sorted().toArray();
            medianNanos = d[d.length / 2];
        }
    }

    /** The recorded iterations, oldest first. */
    public List<IterationTimeline> timelines() {
        synchronized (history) {
            return List.copyOf(history);
        }
    }

    public ReducerStats stats() {
        return ReducerStats.of(timelines(), iteration, bucketBytes(), rebuilt, lastUnused);
    }

    /** Parameters found unused by the last synchronised forward (with findUnusedParameters or staticGraph). */
    public List<String> lastUnusedParameters() {
        return lastUnused;
    }

    /** Writes the recorded iterations as a Chrome trace (chrome://tracing, Perfetto). */
    public void writeChromeTrace(Path file) throws IOException {
        ChromeTrace.write(file, timelines(), origin);
    }

    /** The {@code System.nanoTime()} value trace times are measured from. */
    public long origin() {
        return origin;
    }

    private void checkStall() {
        try {
            long start = backwardStart;
            if (!expecting || start == 0) return;
            long it = iteration;
            if (start == 0 || warnedIteration == it) return;
            long ran = System.nanoTime() - start;
            long threshold = Math.max(options.stallFloor().toNanos(), (long) (options.stallFactor() * medianNanos));
            if (ran < threshold || !expecting) return;
            warnedIteration = it;
            String msg = stallMessage(it, ran);
            if (options.stallListener() != null) options.stallListener().accept(msg);
            else LOG.log(System.Logger.Level.WARNING, msg);
        } catch (RuntimeException e) {
            // a warning must never break training
        }
    }

    private String stallMessage(long it, long ranNanos) {
        int[] p = pending;
        boolean[] r = ready;
        List<String> waiting = new ArrayList<>();
        List<String> inFlight = new ArrayList<>();
        List<Bucket> bs = buckets;
        for (Bucket b : bs) {
            if (b.index < p.length && p[b.index] > 0) {
                List<String> missing = new ArrayList<>();
                for (int j = 0; j < b.plan.params().size(); j++) {
                    int i = b.plan.params().get(j);
                    if (r != null && !r[i]) missing.add(names.get(i));
                }
                waiting.add("bucket " + b.index + " (" + missing.size() + " of " + b.views.length + " gradients missing: "
                        + String.join(", ", missing.size() > 8 ? missing.subList(0, 8) : missing) + (missing.size() > 8 ? ", ..." : "") + ")");
            } else if (b.launched != 0 && b.completed == 0) {
                inFlight.add("bucket " + b.index);
            } else if (b.launched == 0 && b.index < p.length && p[b.index] == 0) {
                inFlight.add("bucket " + b.index + " (ready, waiting for an earlier bucket)");
            }
        }
        return String.format(java.util.Locale.ROOT, "DDP stall on rank %d (group %s): backward of iteration %d has run %.1f s, %s; "
                        + "buckets waiting for gradients: %s; reductions launched but not completed: %s. A rank that stalled, skipped backward "
                        + "or took another path holds every rank here; the process group's timeout will name it.",
                rank, group.backend(), it, ranNanos / 1e9,
                medianNanos == 0 ? "the first one" : String.format(java.util.Locale.ROOT, "%.0fx the median of %.1f ms", ranNanos / (double) medianNanos, medianNanos / 1e6),
                waiting.isEmpty() ? "none" : String.join(", ", waiting), inFlight.isEmpty() ? "none" : String.join(", ", inFlight));
    }

    // ---------------------------------------------------------------- lifetime

    /**
     * Sets what sums are divided by (join: PyTorch divides by the initial world size; a user may
     * want the number of ranks still training).
     */
    public void setDivisor(int d) {
        if (d < 1) throw new IllegalArgumentException("divisor must be >= 1, got " + d);
        this.divisor = d;
    }

    /**
     * Whether each iteration all-gathers the ranks' iteration numbers. Not on a group that takes
     * device buffers only (nccl): there the check would be a staged, synchronous host round trip
     * every step, and nccl's watchdog already fails a collective a rank never joined, naming it.
     */
    private boolean checksRanks() {
        return options.checkRanksInStep() && group.size() > 1 && control == group;
    }

    public ProcessGroup group() {
        return group;
    }

    /**
     * Removes the hooks and frees the buckets; parameters whose .grad is a bucket view get a copy of
     * it. Idempotent. Waits (up to the timeout) for reductions still running after a failure, and
     * leaves the memory of any that outlive the wait allocated. Throws what a check of the last
     * iteration found (its reductions were left to the device and nobody looked since: the step
     * that followed used gradients that were not averaged), and that memory left behind, after
     * freeing everything else.
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        try {
            checkDeviceOrdered(); // the last iteration's reductions, left to the device: their failure is the caller's to see
        } catch (RuntimeException e) {
            failure = e;
        }
        Running running = drainLaunched(); // the buckets' memory is freed below: no collective may still write it
        watchdog.cancel(false);
        for (HookHandle h : hookHandles) if (h != null) h.remove();
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < params.size(); i++) {
                Tensor p = params.get(i);
                Tensor v = view(i);
                if (p.grad() == v && !p.isClosed()) {
                    p.setGrad(null);
                    p.accumulateGrad(v);
                }
            }
        }
        long kept = 0;
        for (Bucket b : buckets) {
            for (Tensor v : b.views) v.close();
            if (running.buckets().contains(b.index)) kept += b.plan.numel() * b.plan.dtype().byteSize();
            else b.buffer.close();
        }
        if (shadows != null) {
            for (int i = 0; i < shadows.size(); i++) {
                if (!running.shadows().contains(i)) shadows.get(i).close();
                else kept += shadows.get(i).numel() * shadows.get(i).dtype().byteSize();
            }
        }
        kept += context.closeScratch(running.either());
        completion.shutdownNow();
        if (!running.isEmpty()) {
            RuntimeException leak = new DistributedTimeoutException("DDP (rank " + rank + "): closed while the reductions of "
                    + running.describe() + " were still running " + Durations.format(options.timeout())
                    + " after an earlier failure: their " + kept + " bytes stay allocated rather than be freed under a collective that writes them");
            if (failure == null) failure = leak;
            else failure.addSuppressed(leak);
        }
        if (failure != null) throw failure;
    }

    private final class Context implements CommContext {
        private record ScratchKey(String name, int bucket) {}

        private final java.util.Map<ScratchKey, BucketBuffer> scratch = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public BucketBuffer scratch(String name, int bucket, DType dtype, io.ddp4j.tensor.Device device, long numel) {
            if (closed) throw new IllegalStateException("DDP (rank " + rank + "): the reducer was closed; hook '" + name + "' cannot have scratch memory");
            return scratch.compute(new ScratchKey(name, bucket), (k, old) -> {
                if (old != null && old.dtype() == dtype && old.device().equals(device) && old.numel() == numel) return old;
                if (old != null) old.close(); // the bucket changed in a rebuild, which waited for its reductions
                return allocator.allocate(dtype, device, numel);
            });
        }

        /** Frees the scratch of buckets not in {@code running}; returns the bytes kept. */
        long closeScratch(Set<Integer> running) {
            long kept = 0;
            for (var e : scratch.entrySet()) {
                BucketBuffer b = e.getValue();
                if (running.contains(e.getKey().bucket())) kept += b.numel() * b.dtype().byteSize();
                else b.close();
            }
            scratch.clear();
            return kept;
        }

        @Override
        public ProcessGroup group() {
            return group;
        }

        @Override
        public int divisor() {
            return divisor;
        }

        @Override
        public CompletableFuture<Void> after(Work work, Runnable then) {
            CompletableFuture<Void> result = then == null ? new WorkResult(work) : new CompletableFuture<>();
            completion.execute(() -> {
                try {
                    work.await();
                    if (then != null) then.run();
                    result.complete(null);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            return result;
        }
    }

    /**
     * A hook result that is the collective and nothing after it: what reads the bucket may wait
     * for {@link #work()} itself, on the device where the work can say so.
     */
    private static final class WorkResult extends CompletableFuture<Void> {
        private final Work work;

        WorkResult(Work work) {
            this.work = work;
        }

        Work work() {
            return work;
        }
    }
}
