package io.ddp4j.benchmarks.allreduce;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.ddp.pg.tcp.TcpProcessGroup;
import io.ddp4j.ddp.store.PrefixStore;
import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * One rank of {@link TcpAllReduceBenchmark}: joins the job from the torchrun-style environment
 * ({@code ddp4j run} / {@link io.ddp4j.ddp.launch.Launcher} sets it), then times float32 SUM
 * all-reduces from 4 KiB up to {@code max_bytes} (sizes x4), exactly like
 * benchmarks/native/mpi_allreduce_bw.c: 3 warm-up calls, a barrier, then 2000 / 200 / 20 / 5
 * back-to-back timed calls (up to 64 KiB / 1 MiB / 16 MiB / above); the slowest rank's mean time counts. Each size's
 * result is checked once before timing.
 * Rank 0 prints one JSON line per size in the C program's format ({@code "impl": "ddp4j-tcp"}).
 *
 * <p>Arguments: {@code [max_bytes] [--segment-bytes N] [--direct-threshold N] [--ring-threshold N]}; the options
 * build the group with non-default {@link TcpOptions} instead of using the default group.
 */
public final class TcpAllReduceWorker {
    private TcpAllReduceWorker() {}

    public static void main(String[] args) {
        long maxBytes = 256L << 20;
        long segment = -1, direct = -1, ring = -1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--segment-bytes" -> segment = Long.parseLong(args[++i]);
                case "--direct-threshold" -> direct = Long.parseLong(args[++i]);
                case "--ring-threshold" -> ring = Long.parseLong(args[++i]);
                default -> maxBytes = Long.parseLong(args[i]);
            }
        }
        try (Distributed dist = Distributed.init(InitOptions.fromEnv())) {
            ProcessGroup own = null;
            ProcessGroup pg = dist.group();
            if (segment > 0 || direct >= 0 || ring >= 0) {
                TcpOptions o = TcpOptions.defaults(InitOptions.DEFAULT_TIMEOUT);
                if (segment > 0) o = o.withSegmentBytes(segment);
                if (direct >= 0) o = o.withDirectThresholdBytes(direct);
                if (ring >= 0) o = o.withRingThresholdBytes(ring);
                own = TcpProcessGroup.create(new PrefixStore("bench", dist.store()), dist.rank(), dist.worldSize(),
                        IntStream.range(0, dist.worldSize()).boxed().toList(), "bench", o);
                pg = own;
            }
            try {
                run(pg, maxBytes);
            } finally {
                if (own != null) own.close();
            }
        }
    }

    static void run(ProcessGroup pg, long maxBytes) {
        int rank = pg.rank(), size = pg.size();
        try (Arena arena = Arena.ofShared()) {
            HostBuffer all = HostBuffer.allocate(arena, DType.F32, maxBytes / 4);
            HostBuffer worst = HostBuffer.allocate(arena, DType.F64, 1);
            // A JVM-only warm-up the C program does not need: let the JIT compile the send, receive
            // and reduce paths before anything is timed. With four JVMs polling on two cores the
            // compiler threads get little CPU, so C2 takes tens of thousands of small calls to settle
            // (measured on a 2-vCPU VM: ~3 ms a call at first, ~0.4 ms after 5,000, ~0.1 ms after
            // 15,000). Every path the timing runs later is mixed in (ring sizes, the barrier, the
            // float64 MAX): a path the JIT first meets after compiling makes it throw away compiled
            // code shared with the timed calls, and the next size would be timed in the interpreter.
            fill(all, 0f);
            for (int i = 0; i < 40_000; i++) {
                pg.allReduce(all.slice(0, 1024), ReduceOp.SUM).await();
                if (i % 100 == 0) {
                    pg.barrier().await();
                    pg.allReduce(worst, ReduceOp.MAX).await();
                    pg.allReduce(all.slice(0, Math.min(all.count(), 16 * 1024)), ReduceOp.SUM).await();
                }
                if (i % 1000 == 0) pg.allReduce(all.slice(0, Math.min(all.count(), 256 * 1024)), ReduceOp.SUM).await();
            }
            for (long bytes = 4096; bytes <= maxBytes; bytes *= 4) {
                long count = bytes / 4;
                HostBuffer buf = all.slice(0, count);
                int iters = iterations(bytes);
                // One checked call first: every rank adds rank + 1, so each element must be n(n+1)/2.
                fill(buf, rank + 1);
                pg.allReduce(buf, ReduceOp.SUM).await();
                float expected = size * (size + 1) / 2.0f;
                for (long k : new long[]{0, count / 2, count - 1}) {
                    float got = buf.segment().getAtIndex(ValueLayout.JAVA_FLOAT, k);
                    if (got != expected) throw new IllegalStateException("wrong sum at " + bytes + " bytes, element " + k + ": " + got + ", expected " + expected);
                }
                // The reduction is in place (MPI's program has separate send and receive buffers), so
                // the timed calls run on zeros, which a sum keeps at zero: same arithmetic, no overflow.
                fill(buf, 0f);
                for (int w = 0; w < 3; w++) pg.allReduce(buf, ReduceOp.SUM).await();
                pg.barrier().await();
                long t0 = System.nanoTime();
                for (int i = 0; i < iters; i++) pg.allReduce(buf, ReduceOp.SUM).await();
                long total = System.nanoTime() - t0;
                worst.segment().set(ValueLayout.JAVA_DOUBLE, 0, total / 1e9 / iters);
                pg.allReduce(worst, ReduceOp.MAX).await();
                double t = worst.segment().get(ValueLayout.JAVA_DOUBLE, 0);
                if (rank == 0) {
                    double algbw = bytes / t / 1e9;
                    System.out.println(String.format(Locale.ROOT,
                            "{\"impl\": \"ddp4j-tcp\", \"ranks\": %d, \"bytes\": %d, \"us\": %.1f, \"algbw_GBps\": %.3f, \"busbw_GBps\": %.3f}",
                            size, bytes, t * 1e6, algbw, algbw * 2.0 * (size - 1) / size));
                    System.out.flush();
                }
            }
        }
    }

    /** The same counts as benchmarks/native/mpi_allreduce_bw.c: enough calls that one scheduler hiccup cannot decide a small size. */
    static int iterations(long bytes) {
        return bytes <= (64 << 10) ? 2000 : bytes <= (1 << 20) ? 200 : bytes <= (16 << 20) ? 20 : 5;
    }

    private static void fill(HostBuffer b, float v) {
        var seg = b.segment();
        for (long i = 0, n = b.count(); i < n; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
    }
}
