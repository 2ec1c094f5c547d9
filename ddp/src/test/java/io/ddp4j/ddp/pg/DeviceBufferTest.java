package io.ddp4j.ddp.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.DType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceBufferTest {
    @Test
    void validatesPointerCountDeviceAndAlignment() {
        assertEquals(4000, new DeviceBuffer(0x7f0000001000L, DType.F32, 1000, 0).byteSize());
        assertEquals(0, new DeviceBuffer(0, DType.F64, 0, 0).byteSize(), "an empty buffer may have no memory");
        assertMessage("a DeviceBuffer of 3 float32 elements has a null pointer", () -> new DeviceBuffer(0, DType.F32, 3, 0));
        assertMessage("element count must be >= 0, got -1", () -> new DeviceBuffer(0x1000, DType.F32, -1, 0));
        assertMessage("CUDA device index must be >= 0, got -2", () -> new DeviceBuffer(0x1000, DType.F32, 1, -2));
        assertMessage("a DeviceBuffer needs a dtype", () -> new DeviceBuffer(0x1000, null, 1, 0));
        assertMessage("device pointer 0x1002 is not aligned to the 4-byte elements of float32", () -> new DeviceBuffer(0x1002, DType.F32, 1, 0));
        new DeviceBuffer(0x1002, DType.BF16, 1, 0);
        new DeviceBuffer(0x1001, DType.U8, 1, 0);
        assertMessage(Long.MAX_VALUE + " float64 elements do not fit in a 64-bit byte size", () -> new DeviceBuffer(0x1000, DType.F64, Long.MAX_VALUE, 0));
    }

    @Test
    void slicesAreViewsOfTheSameMemory() {
        DeviceBuffer b = new DeviceBuffer(0x1000, DType.BF16, 10, 1);
        assertEquals(new DeviceBuffer(0x1000 + 6, DType.BF16, 4, 1), b.slice(3, 4));
        assertEquals(0, b.slice(10, 0).count());
        assertThrows(IndexOutOfBoundsException.class, () -> b.slice(8, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> b.slice(-1, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> b.slice(1, Long.MAX_VALUE));
        assertEquals("DeviceBuffer[cuda:1 0x1000, 10 bfloat16]", b.toString());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable e) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, e).getMessage());
    }

    /** A host backend that implements only the HostBuffer ops: the device ops are the interface's defaults. */
    private static final class HostOnly implements ProcessGroup {
        @Override public int rank() { return 0; }
        @Override public int size() { return 1; }
        @Override public List<Integer> globalRanks() { return List.of(0); }
        @Override public String backend() { return "tcp"; }
        private static Work done() {
            CompletableWork w = new CompletableWork("done", Duration.ofSeconds(1));
            w.complete();
            return w;
        }
        @Override public Work allReduce(HostBuffer buffer, ReduceOp op) { return done(); }
        @Override public Work broadcast(HostBuffer buffer, int root) { return done(); }
        @Override public Work reduce(HostBuffer buffer, int root, ReduceOp op) { return done(); }
        @Override public Work allGather(HostBuffer output, HostBuffer input) { return done(); }
        @Override public Work reduceScatter(HostBuffer output, HostBuffer input, ReduceOp op) { return done(); }
        @Override public Work barrier() { return done(); }
        @Override public Work send(HostBuffer buffer, int peer, int tag) { return done(); }
        @Override public Work recv(HostBuffer buffer, int peer, int tag) { return done(); }
        @Override public void close() {}
    }

    @Test
    void hostBackendsRefuseDeviceBuffersByDefault() {
        ProcessGroup pg = new HostOnly();
        DeviceBuffer d = new DeviceBuffer(0x1000, DType.F32, 4, 0);
        var e = assertThrows(UnsupportedOperationException.class, () -> pg.allReduce(d, ReduceOp.SUM));
        assertEquals("backend tcp works on host buffers: allReduce of a DeviceBuffer needs the nccl backend (or copy the data to a HostBuffer first)", e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> pg.broadcast(d, 0));
        assertThrows(UnsupportedOperationException.class, () -> pg.reduce(d, 0, ReduceOp.MAX));
        assertThrows(UnsupportedOperationException.class, () -> pg.allGather(d, d));
        assertThrows(UnsupportedOperationException.class, () -> pg.reduceScatter(d, d, ReduceOp.SUM));
        assertThrows(UnsupportedOperationException.class, () -> pg.send(d, 0, 0));
        assertTrue(assertThrows(UnsupportedOperationException.class, () -> pg.recv(d, 0, 0)).getMessage().contains("recv of a DeviceBuffer"));
    }

    @Test
    void aHostWorkWaitsOnTheHostWhenAskedToOrderAStream() {
        CompletableWork w = new CompletableWork("op", Duration.ofSeconds(1));
        w.fail(new IllegalStateException("boom"));
        assertEquals("boom", assertThrows(IllegalStateException.class, () -> w.awaitOnStream(0)).getMessage());
        CompletableWork ok = new CompletableWork("op", Duration.ofSeconds(1));
        ok.complete();
        ok.awaitOnStream(12345);
    }
}
