package io.ddp4j.ddp.reducer;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which parameters share a bucket, PyTorch's {@code compute_bucket_assignment_by_size}: walk the
 * parameters in the given order (reverse registration order at first, so the last layers, whose
 * gradients come first in backward, fill the first bucket; later the order gradients were
 * observed to become ready), keep one open bucket per (dtype, device), add each parameter to its
 * open bucket and close the bucket once its size reaches the current cap. Each (dtype, device)
 * walks the list of caps on its own: its first bucket gets the first cap (1 MiB by default, so
 * the first all-reduce starts early), each later one the next, the last cap repeating (25 MiB).
 * Buckets come out in the order they were closed, then the still-open ones in the order they were
 * opened: the order in which they are expected to become ready, and the order they are launched.
 */
public final class BucketPlan {
    /** What the plan needs to know about a parameter. */
    public record Param(int index, DType dtype, Device device, long numel) {
        long bytes() {
            return numel * dtype.byteSize();
        }
    }

    /** One planned bucket: parameter indices in bucket order, and the bucket's element count. */
    public record Bucket(DType dtype, Device device, List<Integer> params, long numel) {}

    private BucketPlan() {}

    /**
     * @param params all parameters, indexed by {@link Param#index()} (position in this list = index)
     * @param order  parameter indices in the order to walk; every index exactly once
     * @param capsBytes caps in bytes, first bucket first; the last one repeats
     */
    public static List<Bucket> compute(List<Param> params, List<Integer> order, List<Long> capsBytes) {
        if (capsBytes.isEmpty()) throw new IllegalArgumentException("at least one bucket cap is needed");
        for (long c : capsBytes) if (c <= 0) throw new IllegalArgumentException("bucket caps must be positive, got " + capsBytes);
        if (order.size() != params.size()) throw new IllegalArgumentException("the order names " + order.size() + " parameters, there are " + params.size());
        boolean[] seen = new boolean[params.size()];
        for (int i : order) {
            if (i < 0 || i >= params.size() || seen[i]) throw new IllegalArgumentException("the order " + order + " is not a permutation of 0.." + (params.size() - 1));
            seen[i] = true;
        }
        record Key(DType dtype, Device device) {}
        final class Open {
            final List<Integer> members = new ArrayList<>();
            long bytes;
            long numel;
            int capIndex;
        }
        Map<Key, Open> open = new LinkedHashMap<>();
        List<Bucket> out = new ArrayList<>();
        for (int i : order) {
            Param p = params.get(i);
            Key k = new Key(p.dtype(), p.device());
            Open b = open.computeIfAbsent(k, x -> new Open());
            b.members.add(i);
            b.bytes += p.bytes();
            b.numel += p.numel();
            long cap = capsBytes.get(Math.min(b.capIndex, capsBytes.size() - 1));
            if (b.bytes >= cap) {
                out.add(new Bucket(k.dtype(), k.device(), List.copyOf(b.members), b.numel));
                Open next = new Open();
                next.capIndex = b.capIndex + 1;
                open.put(k, next);
            }
        }
        for (Map.Entry<Key, Open> e : open.entrySet()) {
            Open b = e.getValue();
            if (!b.members.isEmpty()) out.add(new Bucket(e.getKey().dtype(), e.getKey().device(), List.copyOf(b.members), b.numel));
        }
        return out;
    }

    /** Caps for a first bucket of {@code firstMb} MiB and {@code capMb} MiB after it (PyTorch: 1 and 25). */
    public static List<Long> caps(double firstMb, double capMb) {
        return List.of(mib(firstMb), mib(capMb));
    }

    static long mib(double mb) {
        if (!(mb > 0)) throw new IllegalArgumentException("bucket caps must be positive, got " + mb + " MiB");
        return Math.max(1, (long) (mb * 1024 * 1024));
    }

    /** Indices n-1 .. 0. */
    public static List<Integer> reverse(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int i = n - 1; i >= 0; i--) r.add(i);
        return r;
    }
}
