package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.local.LocalProcessGroup;
import io.ddp4j.ddp.pg.nccl.NcclProcessGroup;
import io.ddp4j.ddp.store.FileStore;
import io.ddp4j.ddp.store.Store;
import io.ddp4j.tensor.Device;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * The process group and thread of each DataParallel replica, chosen by where the replicas live:
 * all on the CPU or all on one GPU, an in-process {@link LocalProcessGroup}; each on a GPU of its
 * own, one NCCL communicator per GPU, made at once on the replicas' threads (NCCL's init is
 * collective) through a temporary file store.
 */
record ReplicaGroups(List<ProcessGroup> groups, List<ExecutorService> threads, Runnable closeRendezvous) {

    /** Refuses a mix of devices that neither group kind serves, before anything is made or moved. */
    static void check(List<Device> devices) {
        if (devices.isEmpty()) throw new IllegalArgumentException("DataParallel needs at least one device");
        Set<Device> distinct = new HashSet<>(devices);
        boolean oneDevice = distinct.size() == 1;
        boolean gpuEach = distinct.size() == devices.size() && devices.stream().allMatch(Device::isCuda);
        if (!oneDevice && !gpuEach)
            throw new IllegalArgumentException("DataParallel: replicas on " + devices + " mix devices; put them all on one device (the CPU, or one GPU they "
                    + "share) or each on a GPU of its own");
    }

    static ReplicaGroups forDevices(List<Device> devices, Duration timeout) {
        check(devices);
        int n = devices.size();
        List<ExecutorService> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int idx = i;
            threads.add(Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().daemon().name("ddp4j-dp-replica" + idx).unstarted(r)));
        }
        try {
            if (new HashSet<>(devices).size() == 1) {
                return new ReplicaGroups(List.copyOf(LocalProcessGroup.create(n, timeout, "dp")), List.copyOf(threads), () -> {});
            }
            return nccl(devices, threads, timeout);
        } catch (RuntimeException e) {
            threads.forEach(ExecutorService::shutdownNow);
            throw e;
        }
    }

    private static ReplicaGroups nccl(List<Device> devices, List<ExecutorService> threads, Duration timeout) {
        int n = devices.size();
        Path file;
        try {
            file = Files.createTempFile("ddp4j-dp-", ".store");
        } catch (IOException e) {
            throw new UncheckedIOException("DataParallel: cannot make the file store the NCCL communicators meet in", e);
        }
        Store store = new FileStore(file, timeout);
        List<Integer> ranks = IntStream.range(0, n).boxed().toList();
        List<Future<ProcessGroup>> made = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int rank = i;
            Map<String, String> env = Map.of(NcclProcessGroup.DEVICE_ENV, Integer.toString(devices.get(i).index()));
            made.add(threads.get(i).submit(() -> NcclProcessGroup.create(store, rank, n, ranks, "dp", timeout, env)));
        }
        List<ProcessGroup> groups = new ArrayList<>();
        RuntimeException failure = null;
        for (Future<ProcessGroup> f : made) {
            try {
                groups.add(f.get());
            } catch (ExecutionException e) {
                RuntimeException why = e.getCause() instanceof RuntimeException r ? r : new DistributedException("DataParallel: " + e.getCause(), e.getCause());
                if (failure == null) failure = why;
                else failure.addSuppressed(why);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new DistributedException("DataParallel: interrupted while making the NCCL communicators", e);
            }
        }
        if (failure != null) {
            groups.forEach(ProcessGroup::close);
            closeStore(store, file);
            throw failure;
        }
        return new ReplicaGroups(List.copyOf(groups), List.copyOf(threads), () -> closeStore(store, file));
    }

    /** Closes the groups, then the threads and the rendezvous. */
    void close() {
        try {
            groups.forEach(ProcessGroup::close);
        } finally {
            threads.forEach(ExecutorService::shutdownNow);
            closeRendezvous.run();
        }
    }

    private static void closeStore(Store store, Path file) {
        try {
            store.close();
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file; the OS cleans its folder
            }
        }
    }
}
