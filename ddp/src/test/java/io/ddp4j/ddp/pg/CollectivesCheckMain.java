package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.pg.mpi.MpiProcessGroup;
import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.time.Duration;

/**
 * What every rank runs, as its own JVM, for the multi-process collective tests: each collective,
 * each dtype and reduce op, several sizes, against the serial reference of {@link Values} (the same
 * data the in-JVM tcp tests use), then a deliberate mismatch. Prints "ok rank R of N: C checks" or
 * exits 1 with what differed.
 *
 * <pre>args: mpi   (under mpirun: MPI_COMM_WORLD)
 *       tcp   (under the launcher: Distributed.init(env://))</pre>
 */
public final class CollectivesCheckMain {
    static int checks;

    public static void main(String[] args) {
        long[] counts = {0, 1, 13, 1001, 65_537};
        String backend = args.length > 0 ? args[0] : "mpi";
        try (AutoCloseable owner = backend.equals("mpi") ? MpiProcessGroup.world(Duration.ofSeconds(60))
                     : io.ddp4j.ddp.Distributed.init(io.ddp4j.ddp.InitOptions.fromEnv().withTimeout(Duration.ofSeconds(60)));
             Arena arena = Arena.ofShared()) {
            ProcessGroup pg = owner instanceof ProcessGroup g ? g : ((io.ddp4j.ddp.Distributed) owner).group();
            int r = pg.rank(), w = pg.size();
            for (DType t : DType.values()) {
                for (ReduceOp op : ReduceOp.values()) {
                    if (t == DType.BOOL && op == ReduceOp.AVG) continue;
                    for (long n : counts) {
                        HostBuffer b = Values.buffer(arena, t, n);
                        Values.fill(b, r, op);
                        pg.allReduce(b, op).await();
                        expect(b, "allReduce " + op + " " + t + " n=" + n, i -> Values.expected(w, i, t, op));

                        HostBuffer red = Values.buffer(arena, t, n);
                        Values.fill(red, r, op);
                        pg.reduce(red, w - 1, op).await();
                        if (r == w - 1) expect(red, "reduce " + op + " " + t + " n=" + n, i -> Values.expected(w, i, t, op));
                        else expect(red, "reduce leaves non-roots alone", i -> Values.input(r, i, t, op));
                    }
                    for (long n : new long[] {0, 1, 7, 300}) {
                        HostBuffer in = Values.buffer(arena, t, n * w), out = Values.buffer(arena, t, n);
                        Values.fill(in, r, op);
                        pg.reduceScatter(out, in, op).await();
                        expect(out, "reduceScatter " + op + " " + t + " n=" + n, i -> Values.expected(w, r * n + i, t, op));
                    }
                }
                for (long n : counts) {
                    HostBuffer b = Values.buffer(arena, t, n);
                    Values.fill(b, r, ReduceOp.SUM);
                    pg.broadcast(b, 1 % w).await();
                    expect(b, "broadcast " + t + " n=" + n, i -> Values.input(1 % w, i, t, ReduceOp.SUM));

                    HostBuffer mine = Values.buffer(arena, t, n), all = Values.buffer(arena, t, n * w);
                    Values.fill(mine, r, ReduceOp.SUM);
                    pg.allGather(all, mine).await();
                    expect(all, "allGather " + t + " n=" + n, i -> Values.input((int) (i / Math.max(n, 1)), i % Math.max(n, 1), t, ReduceOp.SUM));
                }
            }
            // a ring of send/recv, and heap (non-native) buffers, which the group stages itself
            float[] heap = {r, r + 0.5f, -r};
            float[] got = new float[3];
            int next = (r + 1) % w, prev = (r + w - 1) % w;
            Work s = pg.send(HostBuffer.of(heap), next, 7);
            pg.recv(HostBuffer.of(got), prev, 7).await();
            s.await();
            require(got[0] == prev && got[1] == prev + 0.5f && got[2] == -prev, "ring send/recv from " + prev);
            pg.barrier().await();

            // rank 0 all-reduces 10 elements, the others 11: every rank must fail naming both calls, not hang
            HostBuffer x = Values.buffer(arena, DType.F32, r == 0 ? 10 : 11);
            try {
                pg.allReduce(x, ReduceOp.SUM).await();
                require(false, "a mismatched collective must fail");
            } catch (CollectiveMismatchException e) {
                String m = e.getMessage();
                require(m.contains("10 elements") && m.contains("11 elements"), "mismatch message names both calls: " + m);
            }
            System.out.println("ok rank " + r + " of " + w + ": " + checks + " checks");
        } catch (Throwable t) {
            System.out.println("FAILED: " + t);
            t.printStackTrace(System.out);
            System.exit(1);
        }
    }

    static void expect(HostBuffer b, String what, java.util.function.LongToDoubleFunction want) {
        for (long i = 0; i < b.count(); i++) {
            double e = want.applyAsDouble(i), g = Values.get(b.segment(), i, b.dtype());
            require(e == g, what + ": element " + i + " is " + g + ", expected " + e);
        }
        checks++;
    }

    static void require(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

}
