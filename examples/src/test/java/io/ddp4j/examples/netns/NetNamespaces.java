package io.ddp4j.examples.netns;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Two Linux network namespaces joined by a veth pair: the project's own two "hosts" on one
 * machine, at 10.213.N.1 and 10.213.N.2 (N from the pid, so parallel runs do not collide).
 * Optionally the link's rate is limited with tc's tbf qdisc on both ends. Needs root and iproute2;
 * {@link #unavailableReason()} says why not otherwise. Closing removes both namespaces (which
 * removes the veth pair with them).
 */
public final class NetNamespaces implements AutoCloseable {
    public final String ns0, ns1;
    public final String addr0, addr1;
    private final List<String> created = new ArrayList<>();

    private NetNamespaces(String ns0, String ns1, String addr0, String addr1) {
        this.ns0 = ns0;
        this.ns1 = ns1;
        this.addr0 = addr0;
        this.addr1 = addr1;
    }

    /** Empty when namespaces can be made here; otherwise why not (for a test's assumption). */
    public static Optional<String> unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) return Optional.of("making network namespaces needs root");
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) return Optional.of("`ip netns list` failed: " + out.strip());
        } catch (IOException | InterruptedException e) {
            return Optional.of("no `ip` command (apt-get install iproute2): " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Two namespaces and a veth pair; {@code rateMbit > 0} limits the link in both directions. */
    public static NetNamespaces create(int rateMbit) {
        int n = (int) (ProcessHandle.current().pid() % 200) + 20;
        String tag = "ddp4j" + ProcessHandle.current().pid();
        NetNamespaces ns = new NetNamespaces(tag + "a", tag + "b", "10.213." + n + ".1", "10.213." + n + ".2");
        try {
            ns.ip("netns", "add", ns.ns0);
            ns.created.add(ns.ns0);
            ns.ip("netns", "add", ns.ns1);
            ns.created.add(ns.ns1);
            String va = "v" + tag.substring(5) + "a", vb = "v" + tag.substring(5) + "b";
            ns.ip("link", "add", va, "netns", ns.ns0, "type", "veth", "peer", "name", vb, "netns", ns.ns1);
            for (String[] side : new String[][] {{ns.ns0, va, ns.addr0}, {ns.ns1, vb, ns.addr1}}) {
                ns.ip("-n", side[0], "link", "set", "lo", "up");
                ns.ip("-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
                ns.ip("-n", side[0], "link", "set", side[1], "up");
                if (rateMbit > 0) {
                    // The bucket (1 mbit = 125 KB) holds a whole 64 KiB TSO segment. With a smaller one
                    // tbf cuts every segment into MTU-sized packets in software, which a real NIC would
                    // do in hardware: measured, that made the kernel's network work per step 3-4x larger
                    // (43 vs 8 ms of system time on a rank's I/O thread for 8 MiB each way at 848 Mbit/s),
                    // CPU that on this 2-core machine comes straight out of the overlapped backward.
                    run(List.of("ip", "netns", "exec", side[0], "tc", "qdisc", "add", "dev", side[1], "root", "tbf",
                            "rate", rateMbit + "mbit", "burst", "1mbit", "latency", "100ms"));
                }
            }
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    /** The command prefixed so it runs inside namespace {@code ns}. */
    public static List<String> inside(String ns, List<String> command) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        c.addAll(command);
        return c;
    }

    private void ip(String... args) {
        List<String> c = new ArrayList<>(List.of("ip"));
        c.addAll(List.of(args));
        run(c);
    }

    private static void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    @Override
    public void close() {
        for (String ns : created.reversed()) {
            try {
                run(List.of("ip", "netns", "del", ns));
            } catch (RuntimeException ignored) {
                // best effort: a namespace that is already gone is fine
            }
        }
        created.clear();
    }
}
