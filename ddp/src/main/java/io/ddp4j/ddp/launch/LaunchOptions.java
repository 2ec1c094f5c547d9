package io.ddp4j.ddp.launch;

import io.ddp4j.ddp.Durations;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What {@code ddp4j run} was asked to do.
 *
 * @param nprocPerNode workers to start on this node
 * @param nnodes       nodes in the job
 * @param nodeRank     this node's index; node 0 hosts the store
 * @param masterAddr   host of node 0 (the store's address)
 * @param masterPort   the store's port; 0 picks a free one (single node only)
 * @param maxRestarts  how many times to restart the whole group after a failure
 * @param target       a main class, or a path ending in ".jar"
 * @param args         arguments for the workers' main
 * @param jvmArgs      extra JVM options for the workers (e.g. -Xmx4g)
 * @param env          variables added to (or overriding) this process's environment for the workers
 * @param exitGrace    after a worker fails, how long the others get to notice and exit by themselves
 * @param killGrace    after SIGTERM, how long before SIGKILL
 */
public record LaunchOptions(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort, int maxRestarts,
                            String target, List<String> args, List<String> jvmArgs, Map<String, String> env,
                            Duration exitGrace, Duration killGrace) {
    public LaunchOptions {
        if (nprocPerNode < 1) throw new IllegalArgumentException("--nproc-per-node must be >= 1, got " + nprocPerNode);
        if (nnodes < 1) throw new IllegalArgumentException("--nnodes must be >= 1, got " + nnodes);
        if (nodeRank < 0 || nodeRank >= nnodes) throw new IllegalArgumentException("--node-rank " + nodeRank + " is outside 0.." + (nnodes - 1));
        if (masterAddr == null || masterAddr.isBlank()) throw new IllegalArgumentException("--master-addr is empty");
        if (masterPort < 0 || masterPort > 65535) throw new IllegalArgumentException("--master-port must be in 0..65535, got " + masterPort);
        if (masterPort == 0 && nnodes > 1) throw new IllegalArgumentException("a job on " + nnodes + " nodes needs a fixed --master-port that every node knows");
        if (maxRestarts < 0) throw new IllegalArgumentException("--max-restarts must be >= 0, got " + maxRestarts);
        if (target == null || target.isBlank()) throw new IllegalArgumentException("give a main class or a jar after --");
        args = List.copyOf(args);
        jvmArgs = List.copyOf(jvmArgs);
        env = Map.copyOf(env);
        Durations.requirePositive(exitGrace, "exit grace");
        Durations.requirePositive(killGrace, "kill grace");
    }

    /** One node, {@code nproc} workers, a free loopback port, no restarts. */
    public static LaunchOptions local(int nproc, String target, List<String> args) {
        return new LaunchOptions(nproc, 1, 0, "127.0.0.1", 0, 0, target, args, List.of(), Map.of(), Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    public LaunchOptions withNodes(int nnodes, int nodeRank, String masterAddr, int masterPort) {
        return new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts, target, args, jvmArgs, env, exitGrace, killGrace);
    }

    public LaunchOptions withMaxRestarts(int n) {
        return new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, n, target, args, jvmArgs, env, exitGrace, killGrace);
    }

    public LaunchOptions withJvmArgs(List<String> a) {
        return new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts, target, args, a, env, exitGrace, killGrace);
    }

    public LaunchOptions withEnv(Map<String, String> e) {
        return new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts, target, args, jvmArgs, e, exitGrace, killGrace);
    }

    public LaunchOptions withGraces(Duration exit, Duration kill) {
        return new LaunchOptions(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts, target, args, jvmArgs, env, exit, kill);
    }

    public int worldSize() {
        return nprocPerNode * nnodes;
    }

    boolean targetIsJar() {
        return target.endsWith(".jar");
    }
}
