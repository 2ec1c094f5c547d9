package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.tcp.TcpOptions;
import io.ddp4j.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Host collectives over a group that takes device buffers only (nccl's case), staged through
 * device scratch; checked on CPU with a fake device-only group whose "device memory" is native
 * host memory.
 */
class HostStagedGroupTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void aGroupThatTakesHostBuffersIsUsedAsItIs() throws Exception {
        try (LocalCluster c = new LocalCluster(2, TcpOptions.defaults(TIMEOUT))) {
            c.run((r, pg) -> {
                assertSame(pg, HostStagedGroup.forHostBuffers(pg));
                return null;
            });
        }
    }

    @Test
    void everyHostCollectiveWorksOverADeviceOnlyGroup() throws Exception {
        int w = 3;
        try (LocalCluster c = new LocalCluster(w, TcpOptions.defaults(TIMEOUT)); Arena arena = Arena.ofShared()) {
            c.run((r, pg) -> {
                DeviceOnlyFakeGroup device = new DeviceOnlyFakeGroup(pg);
                assertThrows(UnsupportedOperationException.class, () -> device.allReduce(HostBuffer.of(1.0), ReduceOp.SUM));
                try (ProcessGroup g = HostStagedGroup.forHostBuffers(device)) {
                    assertEquals(r, g.rank());
                    assertEquals(w, g.size());

                    double[] heap = {r + 1, 10 * (r + 1)}; // heap memory: staged through a native copy
                    g.allReduce(HostBuffer.of(heap), ReduceOp.SUM).await();
                    assertArrayEquals(new double[] {6, 60}, heap);

                    HostBuffer nat = HostBuffer.allocate(arena, DType.F32, 5);
                    for (int i = 0; i < 5; i++) nat.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, r == 2 ? i : -1);
                    g.broadcast(nat, 2).await();
                    for (int i = 0; i < 5; i++) assertEquals(i, nat.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i));

                    int[] red = {r + 1};
                    g.reduce(HostBuffer.of(red), 1, ReduceOp.MAX).await();
                    assertEquals(r == 1 ? 3 : r + 1, red[0], "reduce: only the root's buffer changes");

                    long[] gathered = new long[w];
                    g.allGather(HostBuffer.of(gathered), HostBuffer.of((long) (100 + r))).await();
                    assertArrayEquals(new long[] {100, 101, 102}, gathered);

                    int[] scattered = new int[1];
                    g.reduceScatter(HostBuffer.of(scattered), HostBuffer.of(1, 2, 3), ReduceOp.SUM).await();
                    assertEquals(3 * (r + 1), scattered[0]);

                    int[] empty = new int[0];
                    g.allReduce(HostBuffer.of(empty), ReduceOp.SUM).await();

                    int right = (r + 1) % w, left = (r + w - 1) % w;
                    int[] got = {-1};
                    if (r % 2 == 0) {
                        g.send(HostBuffer.of(r), right, 7).await();
                        g.recv(HostBuffer.of(got), left, 7).await();
                    } else {
                        g.recv(HostBuffer.of(got), left, 7).await();
                        g.send(HostBuffer.of(r), right, 7).await();
                    }
                    assertEquals(left, got[0]);
                    g.barrier().await();
                }
                assertTrue(device.deviceOps.get() >= 8, "the host ops ran as device ops: " + device.deviceOps.get());
                return null;
            });
        }
    }
}
