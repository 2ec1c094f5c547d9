package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;
import io.ddp4j.tensor.nn.Functional;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.optim.Optimizer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Data parallelism inside one process, PyTorch's {@code DataParallel} done the JVM way: several
 * persistent replicas of a model, one per device (several may share one), each driven by its own
 * thread. A {@link #step} scatters the batch along dim 0 (each replica's rows copied to its
 * device), runs forward, loss and backward of every replica on its thread at the same time, and
 * reduces the gradients with the same {@link io.ddp4j.ddp.reducer.Reducer} DDP uses: each replica
 * is a DDP rank, so buckets overlap with backward here too. The outputs are gathered
 * (concatenated, detached) on the first replica's device.
 *
 * <p>The group the replicas reduce over follows their devices: replicas on the CPU, or all on one
 * GPU, use an in-process {@link LocalProcessGroup} (shared memory; on a GPU, device copies and a sum
 * kernel on the device's stream, since NCCL refuses two ranks on one GPU); replicas each on its own
 * GPU use one NCCL communicator per GPU, made in this process. Other mixes are refused.
 *
 * <p>Replicas are made once, by a factory that builds the same architecture, and get replica 0's
 * parameters and buffers; they are never copied again. After backward every replica holds the
 * same averaged gradients, and {@link #optimizer} steps every replica with its own optimizer, on
 * its own thread, identically: the replicas stay bit-for-bit equal with no copy per step (stepping
 * replica 0 and copying its parameters out would cost a model's worth of copies each step and
 * serialise the optimizer on one thread).
 *
 * <p>The loss must be a mean over the replica's rows. With chunks of unequal size (a batch that
 * does not divide evenly) each replica's loss is weighted by its share of the batch before
 * backward, so the averaged gradient is still that of the mean over the whole batch.
 */
public final class DataParallel implements AutoCloseable {
    private final List<Module> replicas;
    private final List<Device> devices;
    /** Each replica's group and thread. */
    private final ReplicaGroups groups;
    private final List<DistributedDataParallel> ddps;
    private boolean closed;
    /** Why a replica failed in an earlier call: its group was closed to free the others, so the wrapper is unusable. */
    private volatile Throwable broken;

    /** The result of one step: the gathered output (detached) and the loss over the whole batch. */
    public record StepResult(Tensor output, double loss) {}

    private final boolean ownsFirst;

    private DataParallel(ReplicaGroups groups, List<Module> replicas, List<Device> devices, boolean ownsFirst, DdpOptions options) {
        this.groups = groups;
        this.replicas = List.copyOf(replicas);
        this.devices = List.copyOf(devices);
        this.ownsFirst = ownsFirst;
        DistributedDataParallel[] made = new DistributedDataParallel[replicas.size()];
        try {
            for (int i = 0; i < replicas.size(); i++) {
                Device on = deviceOf(replicas.get(i));
                if (on != null && !on.equals(devices.get(i)))
                    throw new IllegalArgumentException("DataParallel: replica " + i + " has parameters on " + on + " but its device is " + devices.get(i));
            }
            // DDP's construction checks the replicas agree and copies replica 0's state to the others
            this.ddps = onEach(i -> made[i] = DistributedDataParallel.wrap(this.replicas.get(i), groups.groups().get(i), options));
        } catch (RuntimeException e) {
            for (DistributedDataParallel d : made) {
                if (d == null) continue;
                try {
                    d.close(); // its reducer's buckets and watchdog
                } catch (RuntimeException x) {
                    e.addSuppressed(x);
                }
            }
            groups.close();
            throw e;
        }
    }

    /**
     * {@code count} replicas on {@code module}'s device: {@code module} itself and {@code count - 1}
     * made by {@code factory} (same architecture; their initial values are replaced by
     * {@code module}'s). On a GPU they share it.
     */
    public static DataParallel create(Module module, Supplier<? extends Module> factory, int count, DdpOptions options) {
        if (count < 1) throw new IllegalArgumentException("DataParallel needs at least one replica, got " + count);
        Device home = deviceOf(module);
        return create(module, factory, java.util.Collections.nCopies(count, home == null ? Device.CPU : home), options);
    }

    public static DataParallel create(Module module, Supplier<? extends Module> factory, int count) {
        return create(module, factory, count, DdpOptions.defaults());
    }

    /**
     * One replica per entry of {@code devices} (a device may repeat: replicas sharing a GPU):
     * {@code module}, which must be on {@code devices[0]} (as PyTorch asks of {@code device_ids[0]}),
     * and replicas made by {@code factory} and moved to their devices.
     */
    public static DataParallel create(Module module, Supplier<? extends Module> factory, List<Device> devices, DdpOptions options) {
        ReplicaGroups.check(devices);
        Device home = deviceOf(module);
        if (home != null && !home.equals(devices.getFirst()))
            throw new IllegalArgumentException("DataParallel: the module's parameters are on " + home + " but the first device is " + devices.getFirst()
                    + "; move it there first (module.to(" + devices.getFirst() + "))");
        List<Module> rs = new ArrayList<>();
        rs.add(module);
        try {
            for (int i = 1; i < devices.size(); i++) {
                Module m = factory.get();
                if (m == module || rs.contains(m)) throw new IllegalArgumentException("DataParallel: the factory must make a new module each time");
                rs.add(m);
                m.train(module.isTraining());
                m.to(devices.get(i));
            }
            return new DataParallel(ReplicaGroups.forDevices(devices, DEFAULT_TIMEOUT), rs, devices, false, options);
        } catch (RuntimeException e) {
            for (int i = 1; i < rs.size(); i++) rs.get(i).close();
            throw e;
        }
    }

    /**
     * {@code count} replicas on the CPU, each made by {@code factory} from its replica's in-process
     * group (so a model can hold group-wide layers: {@code pg -> SyncBatchNorm.convert(buildModel(), pg)}).
     * Replica 0's values are copied to the others; {@link #close()} closes every replica.
     */
    public static DataParallel create(Function<ProcessGroup, ? extends Module> factory, int count, DdpOptions options) {
        if (count < 1) throw new IllegalArgumentException("DataParallel needs at least one replica, got " + count);
        return create(factory, java.util.Collections.nCopies(count, Device.CPU), options);
    }

    /** As {@link #create(Function, int, DdpOptions)}, one replica per entry of {@code devices}, each moved there after it is made. */
    public static DataParallel create(Function<ProcessGroup, ? extends Module> factory, List<Device> devices, DdpOptions options) {
        ReplicaGroups groups = ReplicaGroups.forDevices(devices, DEFAULT_TIMEOUT);
        List<Module> rs = new ArrayList<>();
        try {
            for (int i = 0; i < devices.size(); i++) {
                Module m = factory.apply(groups.groups().get(i));
                rs.add(m);
                m.to(devices.get(i));
            }
            return new DataParallel(groups, rs, devices, true, options);
        } catch (RuntimeException e) {
            rs.forEach(Module::close);
            groups.close();
            throw e;
        }
    }

    /** The device of a module's first parameter or buffer; null when it has neither. */
    private static Device deviceOf(Module m) {
        for (Tensor p : m.parameters()) return p.device();
        for (Tensor b : m.namedBuffers().values()) return b.device();
        return null;
    }

    static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    /** Replica 0: the module given at creation. */
    public Module module() {
        return replicas.getFirst();
    }

    public List<Module> replicas() {
        return replicas;
    }

    public int replicaCount() {
        return replicas.size();
    }

    /** Replica 0's DDP (its reducer, stats and timelines). */
    public DistributedDataParallel ddp(int replica) {
        return ddps.get(replica);
    }

    public ReducerStats stats() {
        return ddps.getFirst().stats();
    }

    /**
     * Forward, loss and backward of every replica on its own rows of {@code input} and
     * {@code target}, in parallel; afterwards every replica holds the gradient of the mean loss over
     * the whole batch.
     */
    public StepResult step(Tensor input, Tensor target, BiFunction<Tensor, Tensor, Tensor> loss) {
        checkOpen();
        int total = input.size(0);
        if (target.size(0) != total) throw new IllegalArgumentException("DataParallel: input has " + total + " rows but target has " + target.size(0));
        int[][] chunks = chunks(total);
        boolean grad = GradMode.isEnabled();
        List<Object[]> parts;
        try (Scattered x = scatter(input, chunks); Scattered y = scatter(target, chunks)) {
            parts = onEach(i -> {
                int n = chunks[i][1];
                try (GradMode.Guard g = grad ? GradMode.enableGrad() : GradMode.noGrad()) {
                    Tensor out = ddps.get(i).forward(x.of(i));
                    Tensor l = loss.apply(out, y.of(i));
                    double value = l.item();
                    double weight = (double) n * replicas.size() / total;
                    if (grad) (weight == 1 ? l : l.mul(weight)).backward();
                    return new Object[]{out.detach(), value * n / total};
                }
            });
        }
        List<Tensor> outs = new ArrayList<>();
        double lossValue = 0;
        for (Object[] p : parts) {
            outs.add((Tensor) p[0]);
            lossValue += (double) p[1];
        }
        return new StepResult(gather(outs), lossValue);
    }

    /** Forward only (no reduction prepared; run it under noGrad for inference): scatter, run, gather. */
    public Tensor forward(Tensor input) {
        checkOpen();
        int[][] chunks = chunks(input.size(0));
        List<Tensor> outs;
        try (Scattered x = scatter(input, chunks)) {
            outs = onEach(i -> {
                try (GradMode.Guard g = GradMode.noGrad()) {
                    return replicas.get(i).forward(x.of(i)).detach();
                }
            });
        }
        return gather(outs);
    }

    /** Gradient accumulation on every replica: see {@link DistributedDataParallel#noSync()}. */
    public AutoCloseable noSync() {
        List<DistributedDataParallel.NoSync> all = ddps.stream().map(DistributedDataParallel::noSync).toList();
        return () -> all.forEach(DistributedDataParallel.NoSync::close);
    }

    /** One optimizer per replica, made by {@code factory} from the replica's parameters, stepped together. */
    public ReplicatedOptimizer optimizer(Function<List<Tensor>, ? extends Optimizer> factory) {
        List<Optimizer> opts = new ArrayList<>();
        for (Module m : replicas) opts.add(factory.apply(m.parameters()));
        return new ReplicatedOptimizer(opts);
    }

    /** The replicas' optimizers; {@link #step()} runs each on its replica's thread. */
    public final class ReplicatedOptimizer implements AutoCloseable {
        private final List<Optimizer> optimizers;

        private ReplicatedOptimizer(List<Optimizer> optimizers) {
            this.optimizers = List.copyOf(optimizers);
        }

        /** Replica 0's optimizer (for its state dict and learning rate). */
        public Optimizer primary() {
            return optimizers.getFirst();
        }

        public List<Optimizer> all() {
            return optimizers;
        }

        public void step() {
            onEach(i -> {
                optimizers.get(i).step();
                return null;
            });
        }

        public void zeroGrad() {
            for (Optimizer o : optimizers) o.zeroGrad();
        }

        /** Sets the learning rate of every param group of every replica's optimizer. */
        public void setLearningRate(double lr) {
            for (Optimizer o : optimizers) for (var g : o.paramGroups()) g.set("lr", lr);
        }

        @Override
        public void close() {
            for (Optimizer o : optimizers) o.close();
        }
    }

    /**
     * Each replica's rows of a batch on its device, copied there when the batch is elsewhere (the
     * copies are freed on close). Made on the calling thread before any replica runs, as PyTorch
     * scatters before its replicas start: a copy out of a GPU waits for that GPU's stream, and once
     * a replica there has queued its backward, that stream waits for every replica's gradients,
     * so a copy made from another replica's thread could wait for that very replica.
     */
    private record Scattered(List<Tensor> rows, Device source) implements AutoCloseable {
        Tensor of(int replica) {
            return rows.get(replica);
        }

        /** Frees the copies: the rows not on the batch's own device (the others are views of the batch). */
        @Override
        public void close() {
            for (Tensor row : rows) if (!row.device().equals(source)) row.close();
        }
    }

    private Scattered scatter(Tensor batch, int[][] chunks) {
        Scattered scattered = new Scattered(new ArrayList<>(), batch.device());
        try (GradMode.Guard g = GradMode.noGrad()) {
            for (int i = 0; i < chunks.length; i++) {
                Tensor part = batch.narrow(0, chunks[i][0], chunks[i][1]);
                Device device = devices.get(i);
                if (device.equals(batch.device())) {
                    scattered.rows().add(part);
                } else {
                    try (part) {
                        scattered.rows().add(part.to(device).keep());
                    }
                }
            }
        } catch (RuntimeException e) {
            scattered.close();
            throw e;
        }
        return scattered;
    }

    /**
     * The replicas' outputs concatenated on the first replica's device, after every replica has
     * finished (on the calling thread, as PyTorch gathers); the parts are freed.
     */
    private Tensor gather(List<Tensor> outs) {
        Device first = devices.getFirst();
        try (GradMode.Guard g = GradMode.noGrad()) {
            List<Tensor> here = new ArrayList<>();
            for (Tensor out : outs) {
                if (out.device().equals(first)) {
                    here.add(out);
                } else {
                    here.add(out.to(first));
                    out.close();
                }
            }
            Tensor gathered = here.size() == 1 ? here.getFirst().contiguous() : Functional.cat(here, 0);
            if (gathered != here.getFirst()) here.forEach(Tensor::close);
            return gathered;
        }
    }

    private int[][] chunks(int total) {
        int n = replicas.size();
        if (total < n) throw new IllegalArgumentException("DataParallel: a batch of " + total + " rows cannot feed " + n + " replicas");
        int[][] c = new int[n][2];
        int base = total / n, extra = total % n, from = 0;
        for (int i = 0; i < n; i++) {
            int len = base + (i < extra ? 1 : 0);
            c[i][0] = from;
            c[i][1] = len;
            from += len;
        }
        return c;
    }

    private interface Body<T> {
        T run(int replica) throws Exception;
    }

    /**
     * Runs {@code body} for every replica on its thread, waits for all; rethrows the failure that
     * came first, with the others suppressed. A replica that fails leaves its group at once, so the
     * replicas waiting for it in a collective fail now (naming it) instead of at the timeout.
     */
    private <T> List<T> onEach(Body<T> body) {
        java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<Future<T>> fs = new ArrayList<>();
        for (int i = 0; i < replicas.size(); i++) {
            int idx = i;
            Callable<T> c = () -> {
                try {
                    return body.run(idx);
                } catch (Throwable t) {
                    failures.add(t);
                    groups.groups().get(idx).close(); // its peers stop waiting for it
                    throw t;
                }
            };
            fs.add(groups.threads().get(i).submit(c));
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < fs.size(); i++) {
            try {
                out.add(fs.get(i).get());
            } catch (ExecutionException e) {
                out.add(null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DistributedException("DataParallel: interrupted", e);
            }
        }
        Throwable first = failures.poll();
        if (first != null) {
            broken = first;
            for (Throwable other : failures) first.addSuppressed(other);
        }
        if (first instanceof RuntimeException r) throw r;
        if (first instanceof Error err) throw err;
        if (first != null) throw new DistributedException("DataParallel: a replica failed: " + first, first);
        return out;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("DataParallel: closed");
        Throwable before = broken;
        if (before != null) throw new IllegalStateException("DataParallel: a replica failed earlier (" + before + "); make a new DataParallel", before);
    }

    /** Closes the reducers, the group, the threads and the replicas the factory made. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            onEach(i -> {
                ddps.get(i).close();
                return null;
            });
        } finally {
            groups.close();
            for (int i = ownsFirst ? 0 : 1; i < replicas.size(); i++) replicas.get(i).close();
        }
    }
}
