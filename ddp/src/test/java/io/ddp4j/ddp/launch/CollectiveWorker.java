package io.ddp4j.ddp.launch;

import io.ddp4j.ddp.Distributed;
import io.ddp4j.ddp.InitOptions;
import io.ddp4j.ddp.pg.HostBuffer;
import io.ddp4j.ddp.pg.ReduceOp;

import java.lang.foreign.ValueLayout;
import java.time.Duration;

/**
 * The worker main the launcher tests start: joins through env://, runs a few all-reduces and
 * barriers, prints one line, and, when asked, misbehaves on one rank.
 *
 * <pre>args: timeoutMillis steps [fault faultRank]   fault: stall | exit | throw | leave-then-throw | fail-first-attempt</pre>
 *
 * {@code leave-then-throw} leaves the group (its goodbye reaches the peers), then waits 800 ms
 * before throwing, so the peers that fail on the goodbye exit first.
 */
public final class CollectiveWorker {
    public static void main(String[] args) throws Exception {
        long timeoutMs = Long.parseLong(args[0]);
        int steps = Integer.parseInt(args[1]);
        String fault = args.length > 2 ? args[2] : "none";
        int faultRank = args.length > 3 ? Integer.parseInt(args[3]) : -1;
        try (Distributed d = Distributed.init(InitOptions.fromEnv().withTimeout(Duration.ofMillis(timeoutMs)))) {
            int r = d.rank();
            int w = d.worldSize();
            System.out.println("ready pid=" + ProcessHandle.current().pid());
            System.out.flush();
            boolean mine = r == faultRank;
            if (mine && fault.equals("fail-first-attempt") && "0".equals(System.getenv("DDP4J_RESTART_COUNT"))) System.exit(3);
            long sum = 0;
            for (int step = 0; step < steps; step++) {
                if (mine && step == 1) {
                    switch (fault) {
                        case "stall", "kill" -> Thread.sleep(Long.MAX_VALUE); // "kill": the test SIGKILLs us while we wait
                        case "exit" -> System.exit(1);
                        case "throw" -> throw new IllegalStateException("rank " + r + " fails on purpose");
                        case "leave-then-throw" -> throw new LateFailure("rank " + r + " fails on purpose, after leaving its group");
                        default -> { }
                    }
                }
                HostBuffer b = HostBuffer.of(new long[] {r + 1});
                d.group().allReduce(b, ReduceOp.SUM).await();
                sum = b.segment().get(ValueLayout.JAVA_LONG, 0);
                if (sum != (long) w * (w + 1) / 2) throw new AssertionError("rank " + r + ": sum " + sum);
                d.group().barrier().await();
            }
            System.out.println("rank " + r + " of " + w + " ok sum=" + sum);
        } catch (io.ddp4j.ddp.DistributedException e) {
            System.err.println("FAILED: " + e.getMessage());
            System.exit(1);
        } catch (LateFailure e) {
            // the group is closed by now (try-with-resources closes before this catch runs)
            Thread.sleep(800);
            throw new IllegalStateException(e.getMessage());
        }
    }

    private static final class LateFailure extends RuntimeException {
        LateFailure(String message) {
            super(message);
        }
    }
}
