package io.ddp4j.tensor.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;

/**
 * Splits a range of independent work items over a fork-join pool. Items are split only where
 * each writes its own outputs, and every sum runs in a fixed order inside one item, so results do
 * not depend on the number of threads.
 */
final class CpuParallel {
    /**
     * Threads for CPU ops: {@code DDP4J_CPU_THREADS} (or {@code -Dddp4j.cpu.threads}), else every
     * core. {@code ddp4j run} sets it to cores / processes per node for its workers, as torchrun
     * sets OMP_NUM_THREADS: ranks that each use every core fight over them.
     */
    static final int THREADS = threads();
    static final ForkJoinPool POOL = new ForkJoinPool(THREADS);

    private static int threads() {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        String v = System.getProperty("ddp4j.cpu.threads", System.getenv("DDP4J_CPU_THREADS"));
        if (v == null || v.isBlank()) return cores;
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // warned below
        }
        // a bad value must not leave the CPU backend unloadable: say so and use every core
        System.getLogger(CpuParallel.class.getName()).log(System.Logger.Level.WARNING,
                "DDP4J_CPU_THREADS / ddp4j.cpu.threads must be a whole number >= 1, got '" + v + "'; using all " + cores + " cores");
        return cores;
    }

    @FunctionalInterface
    interface RangeBody {
        void run(long from, long to);
    }

    private CpuParallel() {}

    /**
     * Runs body over [0, n) in pieces of at least {@code minPerTask} items (given by cost: small work
     * stays on the calling thread).
     */
    static void forRange(long n, long minPerTask, RangeBody body) {
        if (n <= 0) return;
        int workers = POOL.getParallelism();
        if (workers == 1 || n <= minPerTask) {
            body.run(0, n);
            return;
        }
        long pieces = Math.min((n + minPerTask - 1) / minPerTask, workers * 4L);
        long per = (n + pieces - 1) / pieces;
        Split root = new Split(0, n, per, body);
        if (java.util.concurrent.ForkJoinTask.getPool() == POOL) root.invoke();
        else POOL.invoke(root);
    }

    private static final class Split extends RecursiveAction {
        private final long from, to, per;
        private final RangeBody body;

        Split(long from, long to, long per, RangeBody body) {
            this.from = from;
            this.to = to;
            this.per = per;
            this.body = body;
        }

        @Override
        protected void compute() {
            if (to - from <= per) {
                body.run(from, to);
                return;
            }
            long pieces = (to - from + per - 1) / per;
            long mid = from + (pieces / 2) * per;
            invokeAll(new Split(from, mid, per, body), new Split(mid, to, per, body));
        }
    }
}
