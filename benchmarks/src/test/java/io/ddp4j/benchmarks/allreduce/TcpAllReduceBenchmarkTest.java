package io.ddp4j.benchmarks.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A two-JVM smoke run of the harness at small sizes: one checked JSON line per size from rank 0. */
class TcpAllReduceBenchmarkTest {
    @Test
    void twoJvmsPrintOneJsonLinePerSize() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = TcpAllReduceBenchmark.run(new String[]{"--nproc", "2", "--max-bytes", "64K", "--jvm-arg", "-Xmx128m"},
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        assertEquals(0, code);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(3, lines.size(), "4K, 16K, 64K: " + lines);
        for (int i = 0; i < 3; i++) {
            String l = lines.get(i);
            assertTrue(l.startsWith("{\"impl\": \"ddp4j-tcp\", \"ranks\": 2, \"bytes\": " + (4096 << (2 * i)) + ","), l);
            assertTrue(l.contains("\"busbw_GBps\": "), l);
        }
    }

    @Test
    void parsesBinarySizes() {
        assertEquals(4096, TcpAllReduceBenchmark.parseBytes("4096"));
        assertEquals(64 << 10, TcpAllReduceBenchmark.parseBytes("64K"));
        assertEquals(256L << 20, TcpAllReduceBenchmark.parseBytes("256MiB"));
        assertEquals(1L << 30, TcpAllReduceBenchmark.parseBytes("1g"));
    }
}
