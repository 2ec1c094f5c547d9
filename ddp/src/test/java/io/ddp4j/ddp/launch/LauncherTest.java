package io.ddp4j.ddp.launch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Real worker JVMs started by the Launcher, each running {@link CollectiveWorker}. */
class LauncherTest {
    static final long TIMEOUT_MS = 3000;
    static final Pattern READY = Pattern.compile("\\[rank (\\d+)] ready pid=(\\d+)");

    /** Collects the launcher's output lines and lets a test react to each one. */
    static final class Lines extends OutputStream {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
        private final ByteArrayOutputStream current = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            if (b != '\n') {
                current.write(b);
                return;
            }
            String line = current.toString(StandardCharsets.UTF_8);
            current.reset();
            lines.add(line);
            for (Consumer<String> l : listeners) l.accept(line);
        }

        String all() {
            return String.join("\n", lines);
        }

        List<Long> pids() {
            List<Long> pids = new ArrayList<>();
            for (String l : lines) {
                Matcher m = READY.matcher(l);
                if (m.find()) pids.add(Long.parseLong(m.group(2)));
            }
            return pids;
        }
    }

    record Run(int exit, Lines out, Lines err, long millis) {}

    static Run launch(LaunchOptions o, Consumer<Lines> setup) {
        Lines out = new Lines();
        Lines err = new Lines();
        setup.accept(out);
        long t0 = System.nanoTime();
        int code = new Launcher(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(o);
        return new Run(code, out, err, (System.nanoTime() - t0) / 1_000_000);
    }

    static LaunchOptions job(int n, String... args) {
        return LaunchOptions.local(n, CollectiveWorker.class.getName(), List.of(args)).withJvmArgs(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx128m"))
                .withGraces(Duration.ofSeconds(2), Duration.ofSeconds(3));
    }

    static void assertNoneAlive(Run r) {
        for (long pid : r.out.pids()) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "worker pid " + pid + " was left running");
        }
    }

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 4})
    void workersGetTheirRanksAndTheirOutputIsPrefixed(int w) {
        Run r = launch(job(w, "" + TIMEOUT_MS, "3"), out -> { });
        assertEquals(0, r.exit, r.err.all());
        for (int rank = 0; rank < w; rank++) {
            assertTrue(r.out.lines.contains("[rank " + rank + "] rank " + rank + " of " + w + " ok sum=" + (w * (w + 1) / 2)), r.out.all());
        }
        assertEquals(w, r.out.pids().size());
        assertNoneAlive(r);
    }

    @org.junit.jupiter.api.Test
    void eachWorkerGetsItsShareOfTheCoresForCpuOpsUnlessTheUserChose() {
        int cores = Runtime.getRuntime().availableProcessors();
        LaunchOptions o = LaunchOptions.local(2, EnvWorker.class.getName(), List.of(Launcher.CPU_THREADS_ENV))
                .withJvmArgs(List.of("-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx64m"));
        Run shared = launch(o, out -> { });
        assertEquals(0, shared.exit, shared.err.all());
        String want = Integer.toString(Math.max(1, cores / 2));
        assertTrue(shared.out.lines.contains("[rank 0] " + Launcher.CPU_THREADS_ENV + "=" + want), shared.out.all());
        assertTrue(shared.out.lines.contains("[rank 1] " + Launcher.CPU_THREADS_ENV + "=" + want), shared.out.all());
        assertTrue(shared.err.all().contains("ddp4j run: note: " + Launcher.CPU_THREADS_ENV + "=" + want), shared.err.all());

        Run chosen = launch(o.withEnv(java.util.Map.of(Launcher.CPU_THREADS_ENV, "3")), out -> { });
        assertEquals(0, chosen.exit, chosen.err.all());
        assertTrue(chosen.out.lines.contains("[rank 1] " + Launcher.CPU_THREADS_ENV + "=3"), chosen.out.all());
        assertFalse(chosen.err.all().contains("note:"), chosen.err.all());
    }

    @org.junit.jupiter.api.Test
    void workersGetTheVectorApiForTheirMatrixProductsWhenTheLauncherHasIt() {
        // in the Maven build the launcher's own JVM has the module (a runtime without it skips this)
        String here = io.ddp4j.tensor.backend.cpu.CpuVectorSupport.describe();
        if ("required".equals(System.getProperty("ddp4j.test.vectorApi"))) assertTrue(here.startsWith("Vector API"), here);
        else org.junit.jupiter.api.Assumptions.assumeTrue(here.startsWith("Vector API"), here);
        LaunchOptions o = LaunchOptions.local(2, EnvWorker.class.getName(), List.of(EnvWorker.CPU_MATMUL))
                .withJvmArgs(List.of("-Xshare:auto", "-Xmx64m"));
        Run r = launch(o, out -> { });
        assertEquals(0, r.exit, r.err.all());
        for (int rank = 0; rank < 2; rank++) {
            String prefix = "[rank " + rank + "] " + EnvWorker.CPU_MATMUL + "=Vector API";
            assertTrue(r.out.lines.stream().anyMatch(l -> l.startsWith(prefix)), r.out.all());
        }
    }

    /** Every healthy rank fails naming rank 2; the launcher exits non-zero naming it; nothing is left. */
    static void assertRankTwoBlamed(Run r, String launcherSays) {
        assertNotEquals(0, r.exit);
        String summary = r.err.lines.stream().filter(l -> l.startsWith("ddp4j run: ") && !l.startsWith("ddp4j run: note:")).findFirst().orElse("");
        assertTrue(summary.contains(launcherSays), "launcher summary: " + summary + "\n" + r.err.all());
        for (int rank : new int[] {0, 1, 3}) {
            String prefix = "[rank " + rank + "] FAILED: ";
            String line = r.err.lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
            assertNotNull(line, "rank " + rank + " must report its failure:\n" + r.err.all());
            assertTrue(line.contains("rank 2"), line);
        }
        assertNoneAlive(r);
        assertTrue(r.millis < 2 * TIMEOUT_MS + 2 * TIMEOUT_MS + 8000, "took " + r.millis + " ms");
    }

    @Test
    void aKilledRankIsNamedByEveryOtherRankAndByTheLauncher() {
        Run r = launch(job(4, "" + TIMEOUT_MS, "3", "kill", "2"), out -> out.listeners.add(line -> {
            Matcher m = READY.matcher(line);
            if (m.find() && m.group(1).equals("2")) {
                new Thread(() -> {
                    try {
                        Thread.sleep(300); // let it reach its stalling point
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    ProcessHandle.of(Long.parseLong(m.group(2))).ifPresent(ProcessHandle::destroyForcibly);
                }).start();
            }
        }));
        assertRankTwoBlamed(r, "worker rank 2");
        assertTrue(r.err.all().contains("SIGKILL"), r.err.all());
    }

    @Test
    void aRankThatExitsIsNamed() {
        Run r = launch(job(4, "" + TIMEOUT_MS, "3", "exit", "2"), out -> { });
        assertRankTwoBlamed(r, "worker rank 2");
        assertTrue(r.err.all().contains("exit status 1"), r.err.all());
    }

    @Test
    void aRankThatThrowsIsNamed() {
        Run r = launch(job(4, "" + TIMEOUT_MS, "3", "throw", "2"), out -> { });
        assertRankTwoBlamed(r, "worker rank 2");
        assertTrue(r.err.all().contains("fails on purpose"), r.err.all());
    }

    @Test
    void aRankThatFailsAfterItsPeersExitIsStillTheOneNamed() {
        // rank 2 leaves its group, the others fail on its goodbye and exit, and only then does it exit
        Run r = launch(job(4, "" + TIMEOUT_MS, "3", "leave-then-throw", "2"), out -> { });
        assertRankTwoBlamed(r, "worker rank 2");
        String summary = r.err.lines.stream().filter(l -> l.startsWith("ddp4j run: worker")).findFirst().orElse("");
        assertTrue(summary.contains("exited first, naming rank 2, which had failed too"), summary);
    }

    @Test
    void aStalledRankIsNamedByTheOthersAndStoppedByTheLauncher() {
        Run r = launch(job(4, "" + TIMEOUT_MS, "3", "stall", "2"), out -> { });
        assertRankTwoBlamed(r, "ranks [2] were still running and were stopped");
    }

    @Test
    void maxRestartsStartsTheWholeGroupAgain() {
        Run r = launch(job(2, "" + TIMEOUT_MS, "2", "fail-first-attempt", "1").withMaxRestarts(1), out -> { });
        assertEquals(0, r.exit, r.err.all());
        assertTrue(r.err.all().contains("worker rank 1") && r.err.all().contains("exit status 3"), r.err.all());
        assertTrue(r.err.all().contains("restarting all 2 workers (restart 1 of 1)"), r.err.all());
        assertTrue(r.out.lines.contains("[rank 1] rank 1 of 2 ok sum=3"), r.out.all());
        assertNoneAlive(r);
    }

    @Test
    void badOptionsAreRejectedBeforeAnythingStarts() {
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.local(0, "Main", List.of()));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.local(1, "Main", List.of()).withNodes(2, 0, "h", 0));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.local(1, "Main", List.of()).withNodes(2, 2, "h", 29500));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.local(1, " ", List.of()));
    }
}
