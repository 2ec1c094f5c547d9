package io.ddp4j.ddp.reducer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes timelines in the Chrome trace event format (open in chrome://tracing or Perfetto):
 * one process per rank, a "backward" row with each backward pass, a "comm" row with each
 * bucket's all-reduce, and instant events where buckets became ready and were launched.
 */
public final class ChromeTrace {
    private ChromeTrace() {}

    /** The JSON text; times are microseconds since {@code origin} (a {@code System.nanoTime()} value). */
    public static String json(List<IterationTimeline> timelines, long origin) {
        StringBuilder sb = new StringBuilder("{\"traceEvents\":[\n");
        boolean first = true;
        java.util.Set<Integer> ranks = new java.util.TreeSet<>();
        for (IterationTimeline t : timelines) ranks.add(t.rank());
        for (int r : ranks) {
            first = add(sb, first, String.format(Locale.ROOT, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"args\":{\"name\":\"rank %d\"}}", r, r));
            first = add(sb, first, String.format(Locale.ROOT, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":1,\"args\":{\"name\":\"backward\"}}", r));
            first = add(sb, first, String.format(Locale.ROOT, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":2,\"args\":{\"name\":\"comm\"}}", r));
        }
        for (IterationTimeline t : timelines) {
            first = add(sb, first, complete("backward #" + t.iteration(), "backward", t.rank(), 1, t.backwardStart(), t.backwardEnd(), origin,
                    "\"iteration\":" + t.iteration()));
            first = add(sb, first, complete("wait for gradients #" + t.iteration(), "finalize", t.rank(), 1, t.backwardEnd(), t.finished(), origin,
                    "\"iteration\":" + t.iteration()));
            for (int i = 0; i < t.buckets().size(); i++) {
                IterationTimeline.BucketEvents b = t.buckets().get(i);
                String args = "\"iteration\":" + t.iteration() + ",\"bucket\":" + b.index() + ",\"bytes\":" + b.bytes() + ",\"parameters\":" + b.parameters();
                first = add(sb, first, complete("allreduce bucket " + b.index(), "comm", t.rank(), 2, t.commStart(i), b.completed(), origin, args));
                first = add(sb, first, instant("bucket " + b.index() + " ready", t.rank(), 1, b.ready(), origin, args));
                first = add(sb, first, instant("bucket " + b.index() + " launched", t.rank(), 1, b.launched(), origin, args));
            }
        }
        return sb.append("\n],\"displayTimeUnit\":\"ms\"}\n").toString();
    }

    public static void write(Path file, List<IterationTimeline> timelines, long origin) throws IOException {
        Files.writeString(file, json(timelines, origin), StandardCharsets.UTF_8);
    }

    private static boolean add(StringBuilder sb, boolean first, String event) {
        if (!first) sb.append(",\n");
        sb.append(event);
        return false;
    }

    private static String complete(String name, String cat, int pid, int tid, long start, long end, long origin, String args) {
        return String.format(Locale.ROOT, "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"args\":{%s}}",
                name, cat, pid, tid, (start - origin) / 1e3, Math.max(0, end - start) / 1e3, args);
    }

    private static String instant(String name, int pid, int tid, long at, long origin, String args) {
        return String.format(Locale.ROOT, "{\"name\":\"%s\",\"cat\":\"bucket\",\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"args\":{%s}}",
                name, pid, tid, (at - origin) / 1e3, args);
    }
}
