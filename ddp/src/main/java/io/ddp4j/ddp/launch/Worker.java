package io.ddp4j.ddp.launch;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * One started worker process: its rank, and two threads that copy its stdout and stderr line by
 * line to the launcher's streams with a "[rank N] " prefix, keeping the last lines of stderr
 * for the failure report.
 */
final class Worker {
    private static final int KEPT_ERROR_LINES = 3;

    final int rank;
    final Process process;
    private final Thread outPump;
    private final Thread errPump;
    private final Deque<String> lastErrorLines = new ArrayDeque<>();

    Worker(int rank, Process process, PrintStream out, PrintStream err) {
        this.rank = rank;
        this.process = process;
        this.outPump = Thread.ofVirtual().name("ddp4j-run-out-" + rank).start(() -> pump(process.getInputStream(), out, false));
        this.errPump = Thread.ofVirtual().name("ddp4j-run-err-" + rank).start(() -> pump(process.getErrorStream(), err, true));
    }

    private void pump(InputStream in, PrintStream to, boolean keep) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                to.println("[rank " + rank + "] " + line);
                if (keep && !line.isBlank()) {
                    synchronized (lastErrorLines) {
                        lastErrorLines.addLast(line.strip());
                        if (lastErrorLines.size() > KEPT_ERROR_LINES) lastErrorLines.removeFirst();
                    }
                }
            }
        } catch (IOException ignored) {
            // the process is gone; its output ends here
        }
    }

    List<String> lastErrorLines() {
        synchronized (lastErrorLines) {
            return List.copyOf(lastErrorLines);
        }
    }

    /** Waits for the output to be copied out completely (bounded: a grandchild may hold the pipe). */
    void drain(long millis) {
        try {
            outPump.join(java.time.Duration.ofMillis(Math.max(1, millis)));
            errPump.join(java.time.Duration.ofMillis(Math.max(1, millis)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "exit status 1", "killed by signal 9 (SIGKILL)". */
    static String describeExit(int code) {
        if (code > 128 && code < 160) {
            int sig = code - 128;
            String name = switch (sig) {
                case 9 -> " (SIGKILL)";
                case 15 -> " (SIGTERM)";
                case 6 -> " (SIGABRT)";
                case 11 -> " (SIGSEGV)";
                case 2 -> " (SIGINT)";
                default -> "";
            };
            return "killed by signal " + sig + name + ", exit status " + code;
        }
        return "exit status " + code;
    }
}
