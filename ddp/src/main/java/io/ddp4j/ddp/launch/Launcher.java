package io.ddp4j.ddp.launch;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.env.ClusterEnvironments;
import io.ddp4j.ddp.store.TCPStore;
import io.ddp4j.ddp.store.TCPStoreServer;
import io.ddp4j.tensor.backend.cpu.CpuVectorSupport;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code ddp4j run}: starts {@code nprocPerNode} worker JVMs with the torchrun-style variables
 * (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT), hosts
 * the TCPStore on node 0, prefixes each worker's output with its rank, and when one worker
 * fails, stops the others and reports which rank failed and how. With {@code maxRestarts} the
 * whole group is started again (the workers see DDP4J_RESTART_COUNT, and their store keys live
 * under a fresh prefix per attempt).
 *
 * <p>Stopping is gentle first: the other workers get {@code exitGrace} to notice the failure
 * through their process group and exit with their own explanation, then SIGTERM, then SIGKILL
 * after {@code killGrace}; their child processes are stopped the same way, so nothing is left.
 */
public final class Launcher {
    private final PrintStream out;
    private final PrintStream err;
    /** Taken where the launcher is made: a worker restarted later from another thread gets the same. */
    private final String classPath = WorkerClassPath.ofThisThread();

    public Launcher() {
        this(System.out, System.err);
    }

    public Launcher(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the job; returns 0 when every worker exited 0, else 1 (after the restarts are used up). */
    public int run(LaunchOptions o) {
        Map<String, String> base = new HashMap<>(System.getenv());
        base.putAll(o.env());
        if (!base.containsKey(CPU_THREADS_ENV)) {
            int cores = Runtime.getRuntime().availableProcessors();
            int each = Math.max(1, cores / o.nprocPerNode());
            base.put(CPU_THREADS_ENV, Integer.toString(each));
            if (o.nprocPerNode() > 1) {
                err.println("ddp4j run: note: " + CPU_THREADS_ENV + "=" + each + " for each worker (" + cores + " cores / " + o.nprocPerNode()
                        + " workers), so their CPU ops do not fight over cores; set it yourself to choose");
            }
        }
        String token = base.get(TCPStore.TOKEN_ENV);
        if ((token == null || token.isEmpty()) && o.nnodes() == 1) {
            // one node: a fresh secret that only our workers see keeps other local users out of the store
            byte[] b = new byte[16];
            new SecureRandom().nextBytes(b);
            token = HexFormat.of().formatHex(b);
            base.put(TCPStore.TOKEN_ENV, token);
        }
        TCPStoreServer server = null;
        int port = o.masterPort();
        if (o.nodeRank() == 0) {
            server = TCPStoreServer.start(base.getOrDefault(Distributed.STORE_BIND_ENV, o.masterAddr()), o.masterPort(), token);
            port = server.port();
        }
        List<Worker> running = new ArrayList<>();
        Thread hook = Thread.ofPlatform().unstarted(() -> stopAll(running, o));
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            for (int attempt = 0; ; attempt++) {
                Failure f = runOnce(o, base, port, attempt, running);
                if (f == null) return 0;
                err.println("ddp4j run: " + f.summary());
                if (attempt >= o.maxRestarts()) return 1;
                err.println("ddp4j run: restarting all " + o.nprocPerNode() + " workers (restart " + (attempt + 1) + " of " + o.maxRestarts() + ")");
            }
        } finally {
            stopAll(running, o);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down; the hook runs anyway
            }
            if (server != null) server.close();
        }
    }

    private record Failure(int rank, long pid, int exitCode, List<String> lastErrorLines, List<Integer> stopped, String because) {
        Failure(int rank, long pid, int exitCode, List<String> lastErrorLines, List<Integer> stopped) {
            this(rank, pid, exitCode, lastErrorLines, stopped, "");
        }

        String summary() {
            StringBuilder b = new StringBuilder("worker rank " + rank + " (pid " + pid + ") failed: " + Worker.describeExit(exitCode));
            if (!lastErrorLines.isEmpty()) b.append("; its last error output: ").append(String.join(" | ", lastErrorLines));
            if (!because.isEmpty()) b.append("; ").append(because);
            if (!stopped.isEmpty()) b.append("; ranks ").append(stopped).append(" were still running and were stopped");
            return b.toString();
        }
    }

    private static final java.util.regex.Pattern RANK_MENTION = java.util.regex.Pattern.compile("\\brank (\\d+)\\b");

    /**
     * Which failure to report. The first worker to exit is not always the one that failed first: a
     * rank that throws says goodbye to its peers while its JVM shuts down, and a peer that fails on
     * the goodbye ("needs rank 2, which left the group") can exit before it. So the blame follows
     * the error lines: from the first worker to a rank its last error lines name that also exited
     * non-zero by itself (not stopped here) and does not name it back, and on from there (rank 1
     * says rank 3 aborted, rank 3 says it needs rank 2, rank 2 names no one: rank 2).
     */
    private static Worker rootCause(Worker first, List<Worker> all, List<Integer> stopped) {
        // every worker's output is drained by now (stopOthers), so its last error lines are whole
        Worker current = first;
        java.util.Set<Integer> seen = new java.util.HashSet<>(List.of(first.rank));
        for (Worker next = blamed(current, all, stopped, seen); next != null; next = blamed(current, all, stopped, seen)) {
            seen.add(next.rank);
            current = next;
        }
        return current;
    }

    /** The first rank w's error lines name that failed by itself and does not name w, or null. */
    private static Worker blamed(Worker w, List<Worker> all, List<Integer> stopped, java.util.Set<Integer> seen) {
        for (int named : mentionedRanks(w)) {
            if (seen.contains(named) || stopped.contains(named)) continue;
            for (Worker other : all) {
                if (other.rank != named || other.process.isAlive() || other.process.exitValue() == 0) continue;
                if (!mentionedRanks(other).contains(w.rank)) return other;
            }
        }
        return null;
    }

    private static List<Integer> mentionedRanks(Worker w) {
        List<Integer> ranks = new ArrayList<>();
        for (String line : w.lastErrorLines()) {
            java.util.regex.Matcher m = RANK_MENTION.matcher(line);
            while (m.find()) {
                int r = Integer.parseInt(m.group(1));
                if (!ranks.contains(r)) ranks.add(r);
            }
        }
        return ranks;
    }

    /** How many threads a worker's CPU ops use (read by the tensor library's CPU backend). */
    public static final String CPU_THREADS_ENV = "DDP4J_CPU_THREADS";

    private Failure runOnce(LaunchOptions o, Map<String, String> base, int port, int attempt, List<Worker> running) {
        LinkedBlockingQueue<Worker> exited = new LinkedBlockingQueue<>();
        synchronized (running) {
            running.clear();
            for (int local = 0; local < o.nprocPerNode(); local++) {
                Worker w = start(o, base, port, attempt, local);
                running.add(w);
                w.process.onExit().thenRun(() -> exited.add(w));
            }
        }
        int left = o.nprocPerNode();
        while (left > 0) {
            Worker w;
            try {
                w = exited.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Failure(-1, -1, 130, List.of("the launcher was interrupted"), List.of());
            }
            left--;
            int code = w.process.exitValue();
            if (code != 0) {
                List<Integer> stopped = stopOthers(running, o, exited);
                w.drain(1000);
                Worker root = rootCause(w, snapshot(running), stopped);
                String because = root == w ? "" : "rank " + w.rank + " exited first, naming rank " + root.rank + ", which had failed too";
                return new Failure(root.rank, root.process.pid(), root.process.exitValue(), root.lastErrorLines(), stopped, because);
            }
            w.drain(1000);
        }
        return null;
    }

    private Worker start(LaunchOptions o, Map<String, String> base, int port, int attempt, int local) {
        int rank = o.nodeRank() * o.nprocPerNode() + local;
        List<String> cmd = new ArrayList<>();
        cmd.add(javaExecutable());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(CpuVectorSupport.childJvmOptions());
        cmd.addAll(o.jvmArgs());
        if (o.targetIsJar()) {
            cmd.add("-jar");
            cmd.add(o.target());
        } else {
            cmd.add("-cp");
            cmd.add(classPath);
            cmd.add(o.target());
        }
        cmd.addAll(o.args());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.clear();
        env.putAll(base);
        env.put("RANK", Integer.toString(rank));
        env.put("WORLD_SIZE", Integer.toString(o.worldSize()));
        env.put("LOCAL_RANK", Integer.toString(local));
        env.put("LOCAL_WORLD_SIZE", Integer.toString(o.nprocPerNode()));
        env.put("GROUP_RANK", Integer.toString(o.nodeRank()));
        env.put("NODE_RANK", Integer.toString(o.nodeRank()));
        env.put("MASTER_ADDR", o.masterAddr());
        env.put("MASTER_PORT", Integer.toString(port));
        env.put(Distributed.LAUNCHER_STORE_ENV, "1");
        env.put(Distributed.RESTART_COUNT_ENV, Integer.toString(attempt));
        env.put(ClusterEnvironments.LAUNCHER_MARKER, "1");
        try {
            return new Worker(rank, pb.start(), out, err);
        } catch (IOException e) {
            throw new io.ddp4j.ddp.DistributedException("cannot start worker rank " + rank + " (" + String.join(" ", cmd.subList(0, Math.min(cmd.size(), 4)))
                    + " ...): " + e.getMessage(), e);
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    }

    /** Gives the others exitGrace to exit by themselves, then stops the rest; returns the ranks it had to stop. */
    private List<Integer> stopOthers(List<Worker> running, LaunchOptions o, LinkedBlockingQueue<Worker> exited) {
        long until = System.nanoTime() + o.exitGrace().toNanos();
        for (Worker w : snapshot(running)) {
            try {
                w.process.waitFor(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<Integer> stopped = new ArrayList<>();
        for (Worker w : snapshot(running)) if (w.process.isAlive()) stopped.add(w.rank);
        stopAll(running, o);
        for (Worker w : snapshot(running)) w.drain(1000);
        exited.clear();
        return stopped;
    }

    private static List<Worker> snapshot(List<Worker> running) {
        synchronized (running) {
            return List.copyOf(running);
        }
    }

    /** SIGTERM to every live worker and its descendants, SIGKILL after killGrace. */
    private static void stopAll(List<Worker> running, LaunchOptions o) {
        List<ProcessHandle> all = new ArrayList<>();
        for (Worker w : snapshot(running)) {
            w.process.descendants().forEach(all::add);
            all.add(w.process.toHandle());
        }
        for (ProcessHandle h : all) if (h.isAlive()) h.destroy();
        long until = System.nanoTime() + o.killGrace().toNanos();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception timedOutOrInterrupted) {
                h.destroyForcibly();
            }
        }
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // SIGKILL cannot be refused; only an unkillable (D-state) process remains, nothing more to do
            }
        }
    }
}
