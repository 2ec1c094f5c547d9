package io.ddp4j.ddp.pg.mpi;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.ReduceOp;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * One rank of {@link MpiProcessGroupTest}'s subgroup check, under mpirun: Distributed.init on the
 * mpi backend, then newGroup for the even ranks, the odd ranks and every rank but 0 (overlapping
 * the other two), each checked with collectives whose results depend on exactly who is in the
 * group; the world group must still work afterwards. Prints "ok subgroups rank R of W".
 */
public final class MpiSubgroupCheckMain {
    private MpiSubgroupCheckMain() {}

    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    public static void main(String[] args) {
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withBackend("mpi").withTimeout(Duration.ofSeconds(60)))) {
            int r = d.rank(), w = d.worldSize();
            List<Integer> evens = IntStream.range(0, w).filter(i -> i % 2 == 0).boxed().toList();
            List<Integer> odds = IntStream.range(0, w).filter(i -> i % 2 == 1).boxed().toList();
            List<Integer> tail = IntStream.range(1, w).boxed().toList();
            Optional<ProcessGroup> even = d.newGroup(evens), odd = d.newGroup(odds), notZero = d.newGroup(tail);

            List<Integer> mine = r % 2 == 0 ? evens : odds;
            ProcessGroup half = (r % 2 == 0 ? even : odd).orElseThrow(() -> new AssertionError("rank " + r + " is in its parity group"));
            check((r % 2 == 0 ? odd : even).isEmpty(), "rank " + r + " must not be in the other parity group");
            check(half.size() == mine.size() && half.rank() == mine.indexOf(r) && half.globalRanks().equals(mine),
                    "rank " + r + ": parity group says rank " + half.rank() + " of " + half.size() + ", members " + half.globalRanks());
            double[] v = {r + 1};
            half.allReduce(HostBuffer.of(v), ReduceOp.SUM).await();
            double want = mine.stream().mapToDouble(i -> i + 1).sum();
            check(v[0] == want, "rank " + r + ": sum over " + mine + " is " + v[0] + ", expected " + want);

            check(notZero.isPresent() == (r != 0), "rank " + r + ": membership of " + tail);
            if (r != 0) {
                ProcessGroup g = notZero.get();
                long[] gathered = new long[g.size()];
                g.allGather(HostBuffer.of(gathered), HostBuffer.of((long) r)).await();
                for (int i = 0; i < gathered.length; i++) check(gathered[i] == tail.get(i), "rank " + r + ": all-gather slot " + i + " holds " + gathered[i]);
                int[] b = {r == 1 ? 42 : -1};
                g.broadcast(HostBuffer.of(b), 0).await(); // group rank 0 is global rank 1
                check(b[0] == 42, "rank " + r + ": broadcast from global rank 1 gave " + b[0]);
            }

            double[] m = {r};
            d.group().allReduce(HostBuffer.of(m), ReduceOp.MAX).await();
            check(m[0] == w - 1, "rank " + r + ": world max " + m[0]);
            System.out.println("ok subgroups rank " + r + " of " + w);
        } catch (Throwable t) {
            System.out.println("FAILED: " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
