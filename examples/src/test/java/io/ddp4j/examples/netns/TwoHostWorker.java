package io.ddp4j.examples.netns;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ReduceOp;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.time.Duration;

/**
 * What each worker of the two-host test runs: joins through env:// (set by `ddp4j run`), then
 * all-reduces a 1 MiB buffer (ring algorithm, crossing the veth link) and a small one, checks the
 * sums, and prints "rank R of W on HOST ok".
 */
public final class TwoHostWorker {
    public static void main(String[] args) {
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withTimeout(Duration.ofSeconds(30)));
             Arena arena = Arena.ofShared()) {
            int r = d.rank(), w = d.worldSize();
            HostBuffer big = HostBuffer.allocate(arena, io.ddp4j.tensor.DType.F32, 1 << 18);
            for (long i = 0; i < big.count(); i++) big.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, r + 1);
            d.group().allReduce(big, ReduceOp.SUM).await();
            float want = w * (w + 1) / 2f;
            for (long i = 0; i < big.count(); i += 997) {
                if (big.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i) != want) throw new AssertionError("rank " + r + " element " + i);
            }
            HostBuffer small = HostBuffer.of(new long[] {r});
            d.group().allReduce(small, ReduceOp.MAX).await();
            if (small.segment().get(ValueLayout.JAVA_LONG, 0) != w - 1) throw new AssertionError("rank " + r + " max");
            d.group().barrier().await();
            System.out.println("rank " + r + " of " + w + " on " + InetAddress.getLocalHost().getHostName()
                    + " (" + System.getenv("MASTER_ADDR") + ") ok");
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            System.exit(1);
        }
    }
}
