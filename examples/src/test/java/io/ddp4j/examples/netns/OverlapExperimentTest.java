package io.ddp4j.examples.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Overlap where the network is the bottleneck: two ranks, one per network namespace, joined by a
 * veth pair whose rate tc's tbf limits so that all-reducing the gradients takes about as long as
 * backward (calibrated from a run on the unlimited link). It compares bucketed DDP with the same
 * training with overlap switched off (one bucket, reduced after backward), both in the same two
 * processes taking steps in turns, and prints the numbers. (Run one after the other, in separate
 * processes, the two settings also differed by how busy the machine happened to be in each run:
 * the same setting's iteration time varied by up to 10% from run to run.)
 *
 * <p>Always checked: the plans (one bucket per layer vs one bucket) and that buckets hide more of
 * the all-reduce behind backward than one bucket does. Issue 6's speed goals (at least 60% hidden,
 * iterations at least 25% faster) are timing on a shared 2-core machine, so they are enforced only
 * when asked, by {@code benchmarks/overlap-experiment.sh} ({@code -Dddp4j.overlap.enforceGoals=true}),
 * on a quiet machine.
 */
class OverlapExperimentTest {
    // measured: the JIT compilers take CPU for the first ~10 s, which on 2 shared cores lands in
    // the overlapped backward; 10 warm-up steps (about 1 s each, per setting) are past that
    static final int STEPS = 30, WARMUP = 10;
    static final Pattern RESULT = Pattern.compile("RESULT (\\{.*})");

    /** Rank 0's results of a run, by mode (two for "both"). */
    static Map<String, Map<String, Double>> run(NetNamespaces net, String mode, int port) throws Exception {
        String[] common = {"run", "--nnodes", "2", "--master-addr", net.addr0, "--master-port", Integer.toString(port),
                "--nproc-per-node", "1", "--jvm-arg=-Xmx512m",
                // one core of compute per rank: two ranks share this machine, so neither may take both
                // (each launcher thinks its node has every core, so say it to the CPU backend too)
                "--jvm-arg=-XX:ActiveProcessorCount=1", "--jvm-arg=-Dddp4j.cpu.threads=1", "--", OverlapWorker.class.getName(), mode,
                Integer.toString(STEPS), Integer.toString(WARMUP)};
        List<CompletableFuture<String>> nodes = TwoHostRunTest.onBothNodes(net, common);
        String outA = nodes.get(0).get(300, TimeUnit.SECONDS), outB = nodes.get(1).get(300, TimeUnit.SECONDS);
        assertTrue(outA.endsWith("exit=0") && outB.endsWith("exit=0"), "node 0:\n" + outA + "\nnode 1:\n" + outB);
        Map<String, Map<String, Double>> byMode = new java.util.HashMap<>();
        Matcher m = RESULT.matcher(outA);
        while (m.find()) {
            System.out.println("overlap experiment: " + m.group(1));
            Map<String, Double> values = new java.util.HashMap<>();
            Matcher kv = Pattern.compile("\"(\\w+)\": ([0-9.]+)").matcher(m.group(1));
            while (kv.find()) values.put(kv.group(1), Double.parseDouble(kv.group(2)));
            Matcher name = Pattern.compile("\"mode\": \"(\\w+)\"").matcher(m.group(1));
            assertTrue(name.find(), m.group(1));
            byMode.put(name.group(1), values);
        }
        assertTrue(!byMode.isEmpty(), outA);
        return byMode;
    }

    static int clampRate(double mbit) {
        return (int) Math.max(20, Math.min(4000, mbit));
    }

    @Test
    void bucketedAllReduceHidesBehindBackwardOnASlowLink() throws Exception {
        NetNamespaces.unavailableReason().ifPresent(why -> assumeTrue(false, "skipped: " + why));
        int port = 29000 + (int) (ProcessHandle.current().pid() % 400);
        Map<String, Double> fast;
        try (NetNamespaces net = NetNamespaces.create(0)) {
            fast = run(net, "buckets", port).get("buckets");
        }
        // each rank of a two-rank ring sends the whole gradient once; make that take as long as
        // backward: first at the rate that would do it at full link efficiency, then corrected by
        // how long the all-reduce really took there (TCP through the shaper gets less than the rate,
        // and not in proportion to it, so up to three corrections until within 10%)
        double bytes = fast.get("grad_bytes"), backwardMs = fast.get("backward_ms");
        int rateMbit = clampRate(bytes * 8 / (backwardMs / 1e3) / 1e6);
        for (int attempt = 1; attempt <= 3; attempt++) {
            Map<String, Double> serial;
            try (NetNamespaces net = NetNamespaces.create(rateMbit)) {
                serial = run(net, "one", port + attempt).get("one");
            }
            double ratio = serial.get("comm_ms") / serial.get("backward_ms");
            if (Math.abs(ratio - 1) < 0.1) break;
            rateMbit = clampRate(rateMbit * ratio);
        }
        System.out.println("overlap experiment: link limited to " + rateMbit + " Mbit/s");
        Map<String, Double> overlapped, serial;
        try (NetNamespaces net = NetNamespaces.create(rateMbit)) {
            Map<String, Map<String, Double>> both = run(net, "both", port + 4);
            overlapped = both.get("buckets");
            serial = both.get("one");
        }
        double faster = 1 - overlapped.get("iter_ms") / serial.get("iter_ms");
        System.out.printf("overlap experiment: %.0f%% of all-reduce hidden, iteration %.1f ms vs %.1f ms without overlap (%.0f%% faster)%n",
                100 * overlapped.get("hidden"), overlapped.get("iter_ms"), serial.get("iter_ms"), 100 * faster);
        assertTrue(overlapped.get("buckets") == OverlapWorker.LAYERS + 1 && serial.get("buckets") == 1, overlapped + " / " + serial);
        assertTrue(overlapped.get("hidden") > serial.get("hidden"), "buckets hide more than one bucket: " + overlapped + " / " + serial);
        if (Boolean.getBoolean("ddp4j.overlap.enforceGoals")) {
            assertTrue(overlapped.get("hidden") >= 0.60, "hidden fraction " + overlapped);
            assertTrue(faster >= 0.25, "iteration " + overlapped.get("iter_ms") + " ms with overlap vs " + serial.get("iter_ms") + " ms without");
        }
    }
}
