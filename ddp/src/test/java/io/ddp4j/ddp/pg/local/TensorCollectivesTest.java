package io.ddp4j.ddp.pg.local;

import io.ddp4j.ddp.pg.CollectiveMismatchException;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.memory.CpuStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local group's device-memory collectives are tensor ops (on a GPU, kernels on the shared
 * compute stream). Run here on CPU tensors, they must give the bytes the host path gives for the
 * same inputs: ranks combined in rank order, F16/BF16 rounded each step, AVG divided at the end.
 * The GPU run of the same code is LocalDeviceCollectivesGpuTest.
 */
class TensorCollectivesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    static Stream<Arguments> reductions() {
        List<Arguments> out = new ArrayList<>();
        for (int size : new int[]{2, 3, 4})
            for (DType dtype : new DType[]{DType.F32, DType.F64, DType.F16, DType.BF16})
                for (ReduceOp op : ReduceOp.values()) out.add(Arguments.of(size, dtype, op));
        return out.stream();
    }

    @ParameterizedTest(name = "world {0}, {1}, {2}")
    @MethodSource("reductions")
    void allReduceGivesTheHostPathsBytesOnEveryRank(int size, DType dtype, ReduceOp op) throws Exception {
        List<Tensor> ranks = inputs(size, dtype, 37, 11);
        byte[][] host = hostCollective(size, ranks, (g, b, r) -> g.allReduce(b, op));
        TensorCollectives.allReduce(ranks, op);
        for (int r = 0; r < size; r++) assertArrayEquals(host[r], bytes(ranks.get(r)), "rank " + r);
        ranks.forEach(Tensor::close);
    }

    @ParameterizedTest(name = "world {0}, {1}, {2}")
    @MethodSource("reductions")
    void reduceScatterGivesTheHostPathsBytes(int size, DType dtype, ReduceOp op) throws Exception {
        int part = 5;
        List<Tensor> ins = inputs(size, dtype, part * size, 12);
        List<Tensor> outs = new ArrayList<>();
        for (int r = 0; r < size; r++) outs.add(Tensor.zeros(dtype, part));
        List<LocalProcessGroup> groups = LocalProcessGroup.create(size, TIMEOUT);
        List<Work> works = new ArrayList<>();
        List<Tensor> hostOuts = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            Tensor o = Tensor.zeros(dtype, part);
            hostOuts.add(o);
            works.add(groups.get(r).reduceScatter(host(o), host(ins.get(r)), op));
        }
        works.forEach(Work::await);
        groups.forEach(LocalProcessGroup::close);
        TensorCollectives.reduceScatter(outs, ins, op);
        for (int r = 0; r < size; r++) assertArrayEquals(bytes(hostOuts.get(r)), bytes(outs.get(r)), "rank " + r);
    }

    @Test
    void broadcastReduceAndAllGatherMoveTheRightParts() {
        int size = 3;
        List<Tensor> ranks = inputs(size, DType.F32, 4, 13);
        float[] root1 = ranks.get(1).toFloatArray();
        TensorCollectives.broadcast(ranks, 1);
        for (Tensor t : ranks) assertArrayEquals(root1, t.toFloatArray());

        List<Tensor> rs = inputs(size, DType.F32, 4, 14);
        float[][] before = rs.stream().map(Tensor::toFloatArray).toArray(float[][]::new);
        TensorCollectives.reduce(rs, 2, ReduceOp.SUM);
        float[] sum = new float[4];
        for (int i = 0; i < 4; i++) sum[i] = (before[0][i] + before[1][i]) + before[2][i];
        assertArrayEquals(sum, rs.get(2).toFloatArray(), "the root gets the sum");
        assertArrayEquals(before[0], rs.get(0).toFloatArray(), "other ranks keep their input");

        List<Tensor> ins = inputs(size, DType.F32, 2, 15);
        List<Tensor> outs = new ArrayList<>();
        for (int r = 0; r < size; r++) outs.add(Tensor.zeros(DType.F32, 2 * size));
        TensorCollectives.allGather(outs, ins);
        for (Tensor o : outs) {
            float[] got = o.toFloatArray();
            for (int r = 0; r < size; r++) {
                float[] in = ins.get(r).toFloatArray();
                for (int i = 0; i < 2; i++) assertTrue(got[r * 2 + i] == in[i], "slot " + r);
            }
        }
    }

    @Test
    void theLocalGroupRefusesDeviceMemoryItCannotCombineBeforeTouchingIt() {
        LocalProcessGroup g = LocalProcessGroup.create(2, TIMEOUT).getFirst();
        try {
            var e = assertThrows(IllegalArgumentException.class, () -> g.allReduce(new DeviceBuffer(0x1000, DType.U8, 4, 0), ReduceOp.SUM));
            assertTrue(e.getMessage().contains("uint8") || e.getMessage().contains("U8") || e.getMessage().contains("u8"), e.getMessage());
            var s = assertThrows(UnsupportedOperationException.class, () -> g.send(new DeviceBuffer(0x1000, DType.F32, 4, 0), 1, 0));
            assertTrue(s.getMessage().contains("HostBuffer"), s.getMessage());
            assertTrue(g.takesDeviceBuffers());
        } finally {
            g.close();
        }
    }

    @Test
    void integerDeviceReductionsAreRefusedAtIssueAndTheGroupStaysUsable() {
        // the kernels compute in floating point, inexact for large integers; a refusal after the
        // ranks met would break the group for good
        List<LocalProcessGroup> gs = LocalProcessGroup.create(2, TIMEOUT);
        try {
            for (DType dtype : new DType[]{DType.I32, DType.I64}) {
                for (ReduceOp op : ReduceOp.values()) {
                    var e = assertThrows(IllegalArgumentException.class, () -> gs.get(0).allReduce(new DeviceBuffer(0x1000, dtype, 4, 0), op));
                    assertTrue(e.getMessage().contains("floating-point") && e.getMessage().contains(dtype.toString()), e.getMessage());
                }
            }
            var rs = assertThrows(IllegalArgumentException.class,
                    () -> gs.get(0).reduceScatter(new DeviceBuffer(0x1000, DType.F32, 1L << 30, 0), new DeviceBuffer(0x1000, DType.F32, 1L << 31, 0), ReduceOp.SUM));
            assertTrue(rs.getMessage().contains("at most"), rs.getMessage());
            Work a = gs.get(0).allReduce(HostBuffer.of(1f, 2f), ReduceOp.SUM);
            Work b = gs.get(1).allReduce(HostBuffer.of(3f, 4f), ReduceOp.SUM);
            a.await();
            b.await();
        } finally {
            gs.forEach(LocalProcessGroup::close);
        }
    }

    @Test
    void integerCopiesMoveExactly() {
        long big = (1L << 53) + 1;
        List<Tensor> ranks = new ArrayList<>();
        ranks.add(Tensor.fromArray(new long[]{big, Long.MAX_VALUE}, 2));
        ranks.add(Tensor.fromArray(new long[]{0, 0}, 2));
        TensorCollectives.broadcast(ranks, 0);
        assertArrayEquals(new double[]{(double) big, (double) Long.MAX_VALUE}, ranks.get(1).toDoubleArray());
        assertEquals(big, host(ranks.get(1)).segment().getAtIndex(ValueLayout.JAVA_LONG, 0), "copied bit for bit, not through a double");
        assertEquals(Long.MAX_VALUE, host(ranks.get(1)).segment().getAtIndex(ValueLayout.JAVA_LONG, 1));
        ranks.forEach(Tensor::close);
    }

    @Test
    void aRankThatPassesHostMemoryWhereTheOtherPassesDeviceMemoryIsAMismatch() {
        // the mismatch is found when the ranks meet, before anything reads the (fake) device pointer
        List<LocalProcessGroup> gs = LocalProcessGroup.create(2, TIMEOUT);
        try {
            Work host = gs.get(0).allReduce(HostBuffer.of(new float[4]), ReduceOp.SUM);
            Work device = gs.get(1).allReduce(new DeviceBuffer(0x1000, DType.F32, 4, 0), ReduceOp.SUM);
            var e = assertThrows(RuntimeException.class, device::await);
            assertThrows(RuntimeException.class, host::await);
            Throwable cause = e;
            while (cause != null && !(cause instanceof CollectiveMismatchException)) cause = cause.getCause();
            assertTrue(cause != null && e.getMessage().contains("device memory"), e.getMessage());
        } finally {
            gs.forEach(LocalProcessGroup::close);
        }
    }

    // ---------------------------------------------------------------- helpers

    private interface Op {
        Work run(LocalProcessGroup g, HostBuffer b, int rank);
    }

    /** Each rank's result of {@code op} through the host path, on copies of the inputs. */
    private static byte[][] hostCollective(int size, List<Tensor> inputs, Op op) {
        List<LocalProcessGroup> groups = LocalProcessGroup.create(size, TIMEOUT);
        List<Tensor> copies = new ArrayList<>();
        List<Work> works = new ArrayList<>();
        for (int r = 0; r < size; r++) {
            Tensor c = copyOf(inputs.get(r));
            copies.add(c);
            works.add(op.run(groups.get(r), host(c), r));
        }
        works.forEach(Work::await);
        groups.forEach(LocalProcessGroup::close);
        byte[][] out = new byte[size][];
        for (int r = 0; r < size; r++) out[r] = bytes(copies.get(r));
        copies.forEach(Tensor::close);
        return out;
    }

    /** Random values: normal floats, or small integers for the integer types (so products stay in range). */
    private static List<Tensor> inputs(int size, DType dtype, int n, long seed) {
        List<Tensor> out = new ArrayList<>();
        Generator g = new Generator(seed);
        java.util.Random ints = new java.util.Random(seed);
        for (int r = 0; r < size; r++) {
            Tensor base;
            if (dtype.isFloatingPoint()) {
                base = Tensor.randn(g, n);
            } else {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) v[i] = ints.nextInt(7) - 3;
                base = Tensor.fromArray(v, n);
            }
            Tensor t = base.to(dtype); // the same tensor when it has the dtype already
            if (t != base) base.close();
            out.add(t);
        }
        return out;
    }

    private static Tensor copyOf(Tensor t) {
        Tensor c = Tensor.zeros(t.dtype(), (int) t.numel());
        c.copyFrom(t);
        return c;
    }

    private static HostBuffer host(Tensor t) {
        return new HostBuffer(((CpuStorage) t.storage()).segment().asSlice(t.offset() * t.dtype().byteSize(), t.numel() * t.dtype().byteSize()),
                t.dtype(), t.numel());
    }

    private static byte[] bytes(Tensor t) {
        return host(t).segment().toArray(ValueLayout.JAVA_BYTE);
    }
}
