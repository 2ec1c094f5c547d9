package io.ddp4j.benchmarks.allreduce;

import io.ddp4j.ddp.launch.LaunchOptions;
import io.ddp4j.ddp.launch.Launcher;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The tcp backend's all-reduce bus bandwidth on loopback, ranks in separate JVMs: starts
 * {@code --nproc} (default 4) {@link TcpAllReduceWorker} processes with the {@link Launcher}
 * (what {@code ddp4j run} does) and prints rank 0's JSON lines unprefixed, one per size, in the
 * format of benchmarks/native/mpi_allreduce_bw.c, so benchmarks/allreduce-compare.sh can put
 * the two side by side. Not a JMH benchmark: four cooperating processes are this harness's job.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... io.ddp4j.benchmarks.allreduce.TcpAllReduceBenchmark \
 *      [--nproc 4] [--max-bytes 268435456] [--jvm-arg -Xmx1g ...] [--segment-bytes N] [--direct-threshold N]
 * </pre>
 * Exits with the launcher's status (non-zero if a rank failed, e.g. a wrong sum).
 */
public final class TcpAllReduceBenchmark {
    private TcpAllReduceBenchmark() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        int nproc = 4;
        long maxBytes = 256L << 20;
        List<String> jvmArgs = new ArrayList<>();
        List<String> workerArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--nproc" -> nproc = Integer.parseInt(args[++i]);
                case "--max-bytes" -> maxBytes = parseBytes(args[++i]);
                case "--jvm-arg" -> jvmArgs.add(args[++i]);
                case "--segment-bytes", "--direct-threshold", "--ring-threshold" -> {
                    workerArgs.add(args[i]);
                    workerArgs.add(Long.toString(parseBytes(args[++i])));
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--nproc N] [--max-bytes N|1M|256M] [--jvm-arg OPT]... [--segment-bytes N] [--direct-threshold N] [--ring-threshold N]");
            }
        }
        if (maxBytes < 4096) throw new IllegalArgumentException("--max-bytes must be at least 4096 (the first size), got " + maxBytes);
        workerArgs.addFirst(Long.toString(maxBytes));
        LaunchOptions o = LaunchOptions.local(nproc, TcpAllReduceWorker.class.getName(), workerArgs).withJvmArgs(jvmArgs);
        PrintStream rank0Json = new PrintStream(new LineFilter(out), true, StandardCharsets.UTF_8);
        return new Launcher(rank0Json, err).run(o);
    }

    /** "4096", "64K", "1M", "256M", "1G" (binary units). */
    static long parseBytes(String s) {
        String t = s.trim().toUpperCase(java.util.Locale.ROOT);
        long unit = 1;
        if (t.endsWith("IB")) t = t.substring(0, t.length() - 2);
        else if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        switch (t.isEmpty() ? ' ' : t.charAt(t.length() - 1)) {
            case 'K' -> unit = 1L << 10;
            case 'M' -> unit = 1L << 20;
            case 'G' -> unit = 1L << 30;
            default -> { }
        }
        if (unit > 1) t = t.substring(0, t.length() - 1);
        return Long.parseLong(t) * unit;
    }

    /** Passes rank 0's JSON lines through without the launcher's "[rank 0] " prefix; other lines go to stderr. */
    private static final class LineFilter extends OutputStream {
        private static final String PREFIX = "[rank 0] {";
        private final PrintStream out;
        private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

        LineFilter(PrintStream out) {
            this.out = out;
        }

        @Override
        public synchronized void write(int b) {
            if (b == '\n') {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (s.startsWith(PREFIX)) {
                    out.println(s.substring(PREFIX.length() - 1));
                    out.flush();
                } else {
                    System.err.println(s);
                }
            } else if (b != '\r') {
                line.write(b);
            }
        }
    }
}
