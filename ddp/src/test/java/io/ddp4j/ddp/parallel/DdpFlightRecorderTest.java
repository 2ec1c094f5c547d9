package io.ddp4j.ddp.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ddp4j.tensor.nn.Sequential;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DDP's Flight Recorder events where the runtime has Flight Recorder, and DDP training all the same
 * where it does not: a runtime made by jlink without {@code jdk.jfr} (the one the GPU machine runs
 * tests on is such a runtime) must not turn profiling hooks into a NoClassDefFoundError.
 */
class DdpFlightRecorderTest {
    /** The modules of the trimmed runtime the GPU machine gets (../shared/gpu/pack), without jdk.jfr. */
    static final String RUNTIME_WITHOUT_JFR = "java.base,java.logging,java.management,java.xml,java.naming,java.sql,jdk.unsupported,jdk.management,jdk.zipfs";

    @Test
    void everyBucketReductionAndBackwardIsAFlightRecorderEvent(@TempDir Path dir) throws Exception {
        assumeTrue(ModuleLayer.boot().findModule("jdk.jfr").isPresent(), "this runtime has no jdk.jfr");
        Path jfr = dir.resolve("ddp.jfr");
        try (Recording rec = new Recording()) {
            for (String e : List.of("BucketReduce", "Backward", "BucketReady", "Finalize")) rec.enable("io.ddp4j.ddp." + e);
            rec.start();
            Ranks.tcp(2, DdpFeaturesTest.T, (r, pg) -> {
                Sequential m = Training.model("mlp", 42);
                try (var ddp = DistributedDataParallel.wrap(m, pg, DdpFeaturesTest.SMALL)) {
                    Training.train(m, ddp::forward, 8, 16, r * 8, 8, 0.05);
                    return null;
                }
            });
            rec.stop();
            rec.dump(jfr);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        assertEquals(2 * (3 + 7 * 4), count(events, "BucketReduce"), "2 ranks, 8 steps: 3 buckets, then 4 once rebuilt");
        assertEquals(2 * 8, count(events, "Backward"));
        assertEquals(2 * (3 + 7 * 4), count(events, "BucketReady"));
        assertEquals(2 * 8, count(events, "Finalize"));
        RecordedEvent reduce = events.stream().filter(e -> e.getEventType().getName().endsWith("BucketReduce")).findFirst().orElseThrow();
        assertTrue(reduce.getLong("bytes") > 0 && reduce.getString("hook") != null, reduce.toString());
    }

    private static long count(List<RecordedEvent> events, String name) {
        return events.stream().filter(e -> e.getEventType().getName().equals("io.ddp4j.ddp." + name)).count();
    }

    @Test
    void withoutFlightRecorderInTheRuntimeDdpTrainsAllTheSame() throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--limit-modules", RUNTIME_WITHOUT_JFR, "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), DdpWithoutFlightRecorderMain.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ok: DDP trained without jdk.jfr"), out);
    }
}
