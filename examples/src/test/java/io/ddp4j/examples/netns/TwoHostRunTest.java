package io.ddp4j.examples.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.examples.Ddp4jCli;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two hosts: two network namespaces joined by a veth pair, `ddp4j run --nnodes 2` in each with
 * two workers per node over the tcp backend. Node 0's launcher hosts the store on its own address;
 * node 1 reaches it across the link, and the ring all-reduce crosses it too.
 */
class TwoHostRunTest {

    static List<String> ddp4j(String... args) {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx128m",
                "-cp", System.getProperty("java.class.path"), Ddp4jCli.class.getName()));
        c.addAll(List.of(args));
        return c;
    }

    static CompletableFuture<String> start(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        return CompletableFuture.supplyAsync(() -> {
            try {
                String out = new String(p.getInputStream().readAllBytes());
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    return out + "\n(timed out)\nexit=-1";
                }
                return out + "\nexit=" + p.exitValue();
            } catch (Exception e) {
                return "exit=-2 " + e;
            }
        });
    }

    /**
     * Starts {@code ddp4j <runArgs>} in each namespace, as node 0 and node 1 ({@code runArgs} starts
     * with "run"; {@code --node-rank} is added right after it). Returns node 0's and node 1's output.
     */
    static List<CompletableFuture<String>> onBothNodes(NetNamespaces net, String... runArgs) throws Exception {
        List<CompletableFuture<String>> out = new ArrayList<>();
        String[] ns = {net.ns0, net.ns1};
        for (int node = 0; node < 2; node++) {
            List<String> args = new ArrayList<>(List.of(runArgs));
            args.addAll(1, List.of("--node-rank", Integer.toString(node)));
            out.add(start(NetNamespaces.inside(ns[node], ddp4j(args.toArray(String[]::new)))));
        }
        return out;
    }

    @Test
    void ddp4jRunSpansTwoHostsJoinedByAVethPair() throws Exception {
        NetNamespaces.unavailableReason().ifPresent(why -> assumeTrue(false, "skipped: " + why));
        try (NetNamespaces net = NetNamespaces.create(0)) {
            String port = "29" + (400 + ProcessHandle.current().pid() % 500);
            String[] common = {"run", "--nnodes", "2", "--master-addr", net.addr0, "--master-port", port, "--nproc-per-node", "2",
                    "--jvm-arg=-XX:TieredStopAtLevel=1", "--jvm-arg=-Xmx128m", "--", TwoHostWorker.class.getName()};
            List<CompletableFuture<String>> nodes = onBothNodes(net, common);
            String outA = nodes.get(0).get(150, TimeUnit.SECONDS), outB = nodes.get(1).get(150, TimeUnit.SECONDS);
            String both = "node 0:\n" + outA + "\nnode 1:\n" + outB;
            assertTrue(outA.endsWith("exit=0") && outB.endsWith("exit=0"), both);
            for (int r = 0; r < 4; r++) {
                String want = "rank " + r + " of 4 on ";
                assertEquals(1, (outA + outB).lines().filter(l -> l.contains(want) && l.endsWith(" ok")).count(), both);
            }
            assertTrue(outA.contains("[rank 0] rank 0 of 4") && outA.contains("[rank 1] rank 1 of 4"), both);
            assertTrue(outB.contains("[rank 2] rank 2 of 4") && outB.contains("[rank 3] rank 3 of 4"), both);
        }
    }
}
