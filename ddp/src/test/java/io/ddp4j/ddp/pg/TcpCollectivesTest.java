package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.tensor.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every collective, every dtype, every reduce op, at world sizes 2, 3, 4 and 8, checked against
 * the serial reference in {@link Values}. Each world size runs with the defaults (small messages
 * take the direct path) and with the ring forced and 16-byte segments, so small sizes also
 * exercise empty chunks, odd splits and many pipelined segments; all-reduce also with halving
 * and doubling forced the same way.
 */
class TcpCollectivesTest {
    static final long[] COUNTS = {0, 1, 13, 1001};

    static Stream<Arguments> clusters() {
        List<Arguments> out = new ArrayList<>();
        for (int w : new int[] {2, 3, 4, 8}) {
            out.add(Arguments.of(w, "direct"));
            out.add(Arguments.of(w, "ring"));
        }
        return out.stream();
    }

    /** All-reduce has a third algorithm between the direct one and the ring. */
    static Stream<Arguments> allReduceClusters() {
        return Stream.concat(clusters(), Stream.of(2, 3, 4, 8).map(w -> Arguments.of(w, "halving")));
    }

    static TcpOptions options(String algorithm) {
        TcpOptions d = TcpOptions.defaults(Duration.ofSeconds(30));
        return switch (algorithm) {
            case "ring" -> d.withSegmentBytes(16).withDirectThresholdBytes(0).withRingThresholdBytes(0);
            case "halving" -> d.withSegmentBytes(16).withDirectThresholdBytes(0).withRingThresholdBytes(Long.MAX_VALUE);
            default -> d;
        };
    }

    static void assertElements(HostBuffer b, String what, java.util.function.LongToDoubleFunction expected) {
        for (long i = 0; i < b.count(); i++) {
            double want = expected.applyAsDouble(i);
            double got = Values.get(b.segment(), i, b.dtype());
            if (want != got) fail(what + ": element " + i + " is " + got + ", expected " + want);
        }
    }

    @ParameterizedTest(name = "world {0}, {1}")
    @MethodSource("allReduceClusters")
    void allReduceMatchesTheSerialReferenceForEveryDtypeAndOp(int w, String algorithm) throws Exception {
        try (LocalCluster c = new LocalCluster(w, options(algorithm)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                for (DType t : DType.values()) {
                    for (ReduceOp op : ReduceOp.values()) {
                        if (t == DType.BOOL && op == ReduceOp.AVG) continue;
                        for (long n : COUNTS) {
                            HostBuffer b = Values.buffer(arena, t, n);
                            Values.fill(b, r, op);
                            pg.allReduce(b, op).await();
                            assertElements(b, "rank " + r + " allReduce " + op + " " + t + " n=" + n, i -> Values.expected(w, i, t, op));
                        }
                    }
                }
                return null;
            });
        }
    }

    @ParameterizedTest(name = "world {0}, {1}")
    @MethodSource("clusters")
    void reduceScatterAndReduceMatchTheReference(int w, String algorithm) throws Exception {
        try (LocalCluster c = new LocalCluster(w, options(algorithm)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                for (DType t : DType.values()) {
                    for (ReduceOp op : List.of(ReduceOp.SUM, ReduceOp.MAX, ReduceOp.AVG)) {
                        if (t == DType.BOOL && op == ReduceOp.AVG) continue;
                        for (long n : new long[] {0, 1, 7, 300}) {
                            HostBuffer in = Values.buffer(arena, t, n * w);
                            Values.fill(in, r, op);
                            HostBuffer out = Values.buffer(arena, t, n);
                            pg.reduceScatter(out, in, op).await();
                            long base = r * n;
                            assertElements(out, "rank " + r + " reduceScatter " + op + " " + t + " n=" + n, i -> Values.expected(w, base + i, t, op));

                            int root = (int) (n % w);
                            HostBuffer b = Values.buffer(arena, t, n * 3 + 1);
                            Values.fill(b, r, op);
                            pg.reduce(b, root, op).await();
                            if (r == root) {
                                assertElements(b, "root " + r + " reduce " + op + " " + t, i -> Values.expected(w, i, t, op));
                            } else {
                                assertElements(b, "non-root " + r + " keeps its input after reduce", i -> Values.input(r, i, t, op));
                            }
                        }
                    }
                }
                return null;
            });
        }
    }

    @ParameterizedTest(name = "world {0}, {1}")
    @MethodSource("clusters")
    void broadcastAllGatherBarrierAndSendRecvMoveTheRightBytes(int w, String algorithm) throws Exception {
        try (LocalCluster c = new LocalCluster(w, options(algorithm)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                for (DType t : DType.values()) {
                    for (long n : COUNTS) {
                        for (int root : new int[] {0, w - 1}) {
                            HostBuffer b = Values.buffer(arena, t, n);
                            Values.fill(b, r, ReduceOp.SUM);
                            pg.broadcast(b, root).await();
                            assertElements(b, "rank " + r + " broadcast from " + root + " " + t, i -> Values.input(root, i, t, ReduceOp.SUM));
                        }
                        HostBuffer in = Values.buffer(arena, t, n);
                        Values.fill(in, r, ReduceOp.MAX);
                        HostBuffer out = Values.buffer(arena, t, n * w);
                        pg.allGather(out, in).await();
                        assertElements(out, "rank " + r + " allGather " + t, i -> Values.input((int) (i / Math.max(1, n)), i % Math.max(1, n), t, ReduceOp.MAX));

                        // a ring of sends: each rank sends to the right and receives from the left, tag = dtype
                        HostBuffer mine = Values.buffer(arena, t, n);
                        Values.fill(mine, r, ReduceOp.MIN);
                        HostBuffer got = Values.buffer(arena, t, n);
                        int left = (r + w - 1) % w;
                        Work s = pg.send(mine, (r + 1) % w, t.ordinal());
                        pg.recv(got, left, t.ordinal()).await();
                        s.await();
                        assertElements(got, "rank " + r + " recv from " + left + " " + t, i -> Values.input(left, i, t, ReduceOp.MIN));
                    }
                }
                for (int k = 0; k < 5; k++) pg.barrier().await();
                return null;
            });
        }
    }

    /** Megabyte buffers in 1 MiB segments, by the two algorithms for large all-reduces. */
    static Stream<Arguments> largeAllReduceClusters() {
        return Stream.of(2, 3, 4, 8).flatMap(w -> Stream.of(Arguments.of(w, "ring"), Arguments.of(w, "halving")));
    }

    static TcpOptions largeOptions(String algorithm) {
        TcpOptions d = TcpOptions.defaults(Duration.ofSeconds(60));
        return algorithm.equals("ring") ? d.withRingThresholdBytes(0) : d.withRingThresholdBytes(Long.MAX_VALUE);
    }

    @ParameterizedTest(name = "world {0}, {1}")
    @MethodSource("largeAllReduceClusters")
    void megabyteBuffersGoInPipelinedSegments(int w, String algorithm) throws Exception {
        long n = 3 * 1024 * 1024 / 4 + 3; // ~3 MiB of float32, odd, several 1 MiB segments per chunk at w=2
        try (LocalCluster c = new LocalCluster(w, largeOptions(algorithm)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                HostBuffer b = Values.buffer(arena, DType.F32, n);
                Values.fill(b, r, ReduceOp.SUM);
                pg.allReduce(b, ReduceOp.SUM).await();
                assertElements(b, "rank " + r + " 3 MiB allReduce", i -> Values.expected(w, i, DType.F32, ReduceOp.SUM));

                HostBuffer bf = Values.buffer(arena, DType.BF16, n);
                Values.fill(bf, r, ReduceOp.MAX);
                pg.allReduce(bf, ReduceOp.MAX).await();
                assertElements(bf, "rank " + r + " 1.5 MiB bf16 allReduce", i -> Values.expected(w, i, DType.BF16, ReduceOp.MAX));

                HostBuffer big = Values.buffer(arena, DType.I32, n);
                Values.fill(big, r, ReduceOp.SUM);
                pg.broadcast(big, 1).await();
                assertElements(big, "rank " + r + " 3 MiB broadcast", i -> Values.input(1, i, DType.I32, ReduceOp.SUM));
                return null;
            });
        }
    }

    @org.junit.jupiter.api.Test
    void sixtyFourMebibytesAtWorldTwo() throws Exception {
        long n = 64L * 1024 * 1024 / 4;
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(Duration.ofSeconds(60))); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                HostBuffer b = Values.buffer(arena, DType.F32, n);
                Values.fill(b, r, ReduceOp.SUM);
                pg.allReduce(b, ReduceOp.SUM).await();
                for (long i = 0; i < n; i += 4099) {
                    assertEquals(Values.expected(2, i, DType.F32, ReduceOp.SUM), Values.get(b.segment(), i, DType.F32), "element " + i);
                }
                assertEquals(Values.expected(2, n - 1, DType.F32, ReduceOp.SUM), Values.get(b.segment(), n - 1, DType.F32));
                return null;
            });
        }
    }

    @ParameterizedTest(name = "world {0}, {1}")
    @MethodSource("largeAllReduceClusters")
    void randomFloatsAreCloseToTheSerialSumAndIdenticalOnEveryRank(int w, String algorithm) throws Exception {
        long n = 100_003;
        try (LocalCluster c = new LocalCluster(w, largeOptions(algorithm)); Arena arena = Arena.ofShared()) {
            List<float[]> results = c.run((r, pg) -> {
                java.util.Random rnd = new java.util.Random(r);
                float[] data = new float[(int) n];
                for (int i = 0; i < n; i++) data[i] = (float) rnd.nextGaussian();
                HostBuffer b = HostBuffer.of(data);
                pg.allReduce(b, ReduceOp.SUM).await();
                return data;
            });
            double[] ref = new double[(int) n];
            for (int r = 0; r < w; r++) {
                java.util.Random rnd = new java.util.Random(r);
                for (int i = 0; i < n; i++) ref[i] += (float) rnd.nextGaussian();
            }
            for (int i = 0; i < n; i++) assertEquals(ref[i], results.getFirst()[i], 1e-5, "element " + i);
            for (int r = 1; r < w; r++) assertArrayEquals(results.getFirst(), results.get(r), "rank " + r + " must hold bit-identical results");
        }
    }
}
