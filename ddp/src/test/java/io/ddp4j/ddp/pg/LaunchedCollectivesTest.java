package io.ddp4j.ddp.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.ddp.launch.LaunchOptions;
import io.ddp4j.ddp.launch.Launcher;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tcp backend in several JVMs started by the launcher, at world sizes 2, 3, 4 and 8: every
 * collective, dtype and reduce op against the serial reference ({@link CollectivesCheckMain}).
 */
class LaunchedCollectivesTest {

    @ParameterizedTest(name = "world {0}")
    @ValueSource(ints = {2, 3, 4, 8})
    void everyCollectiveMatchesTheSerialReferenceAcrossJvms(int world) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        LaunchOptions o = LaunchOptions.local(world, CollectivesCheckMain.class.getName(), List.of("tcp"))
                .withJvmArgs(List.of("-XX:TieredStopAtLevel=1", "-Xmx192m"))
                .withGraces(Duration.ofSeconds(5), Duration.ofSeconds(5));
        int code = new Launcher(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)).run(o);
        String all = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, all);
        for (int r = 0; r < world; r++) assertTrue(all.contains("[rank " + r + "] ok rank " + r + " of " + world + ": "), all);
    }
}
