package io.ddp4j.ddp.parallel;

import io.ddp4j.ddp.launch.LaunchOptions;
import io.ddp4j.ddp.launch.Launcher;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** DDP in separate worker JVMs started by the Launcher, over the tcp backend, against one process on the whole batch. */
class DdpLauncherTest {
    @ParameterizedTest(name = "{0}, world {1}")
    @CsvSource({"mlp, 2, 20, 16", "mlp, 4, 20, 16", "small-cnn-bn, 2, 20, 8", "small-cnn-bn, 4, 20, 8"})
    void workersEndWithTheParametersOfOneProcessOnTheWholeBatch(String kind, int world, int steps, int batch, @TempDir Path dir) throws Exception {
        double lr = 0.05;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        LaunchOptions o = LaunchOptions.local(world, DdpWorker.class.getName(), List.of(kind, dir.toString(), "" + steps, "" + batch, "" + lr))
                .withJvmArgs(List.of("-Xshare:auto", "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"))
                .withGraces(Duration.ofSeconds(2), Duration.ofSeconds(3));
        int code = new Launcher(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(o);
        assertEquals(0, code, out.toString(StandardCharsets.UTF_8) + "\n" + err.toString(StandardCharsets.UTF_8));

        Map<String, float[]> want = Training.reference(kind, steps, batch, lr);
        for (int r = 0; r < world; r++) {
            double d = Training.maxAbsDiff(want, DdpWorker.read(dir.resolve("rank-" + r + ".bin")));
            assertTrue(d < 1e-5, kind + " rank " + r + " of " + world + " differs from one process by " + d);
        }
    }
}
