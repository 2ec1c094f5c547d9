package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Reductions;
import io.ddp4j.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The CPU algorithms. Large messages use a ring: reduce-scatter then all-gather, each step
 * moving one chunk to the right neighbour in segments, sending the next segment before reducing
 * the current one so the socket and the reduction overlap. Small messages (below the direct
 * threshold) go straight to every peer in one frame: one network latency instead of 2(w-1).
 * Medium all-reduces (below the ring threshold) take recursive halving then doubling.
 *
 * <p>Every rank ends with bit-identical results: the ring reduces each chunk once and then
 * copies it, and the direct algorithm combines contributions in rank order on every rank.
 * Every step sends at least one frame, even for empty chunks, so the fingerprint check runs on
 * every op, including zero-element ones.
 */
final class Collectives {
    private static final long REDUCE_PIECE_BYTES = 128 * 1024;

    private final Transport t;
    private final long segmentBytes;
    private final long directThresholdBytes;
    private final long ringThresholdBytes;

    Collectives(Transport t, TcpOptions o) {
        this.t = t;
        this.segmentBytes = o.segmentBytes();
        this.directThresholdBytes = o.directThresholdBytes();
        this.ringThresholdBytes = o.ringThresholdBytes();
    }

    private int w() {
        return t.size();
    }

    private int r() {
        return t.rank();
    }

    private static int mod(int a, int w) {
        return ((a % w) + w) % w;
    }

    private boolean direct(long bytes) {
        return bytes < directThresholdBytes;
    }

    /** Chunk c of n elements split w ways: [c*n/w, (c+1)*n/w). */
    private static long[] evenBounds(long n, int w) {
        long[] b = new long[w + 1];
        for (int c = 0; c <= w; c++) b[c] = n * c / w; // n * c cannot overflow for any buffer that fits in memory
        return b;
    }

    private static long[] slotBounds(long slot, int w) {
        long[] b = new long[w + 1];
        for (int c = 0; c <= w; c++) b[c] = slot * c;
        return b;
    }

    // ---- ring building blocks -------------------------------------------------------------

    /** Number of frames that carry {@code elems} elements: at least one, so every step is checked. */
    private long segments(long elems, long segElems) {
        return Math.max(1, (elems + segElems - 1) / segElems);
    }

    private MemorySegment seg(MemorySegment data, long[] bounds, int chunk, long j, long segElems, int esz) {
        long start = bounds[chunk] + j * segElems;
        long end = Math.min(bounds[chunk + 1], start + segElems);
        if (end <= start) return MemorySegment.NULL;
        return data.asSlice(start * esz, (end - start) * esz);
    }

    /**
     * One ring pass over {@code data} cut at {@code bounds}: in step s a rank sends chunk
     * {@code sendChunk(s)} right and receives chunk {@code sendChunk(s) - 1} from the left, then
     * reduces it in ({@code op != null}) or copies it.
     */
    private void ringPass(MemorySegment data, long[] bounds, DType dtype, ReduceOp op, int firstSendOffset) {
        int w = w();
        int right = mod(r() + 1, w);
        int left = mod(r() - 1, w);
        int esz = dtype.byteSize();
        long segElems = Math.max(1, segmentBytes / esz);
        for (int s = 0; s < w - 1; s++) {
            int sc = mod(r() - s + firstSendOffset, w);
            int rc = mod(sc - 1, w);
            long nSend = segments(bounds[sc + 1] - bounds[sc], segElems);
            long nRecv = segments(bounds[rc + 1] - bounds[rc], segElems);
            t.post(right, seg(data, bounds, sc, 0, segElems, esz));
            for (long j = 0; j < Math.max(nSend, nRecv); j++) {
                if (j + 1 < nSend) t.post(right, seg(data, bounds, sc, j + 1, segElems, esz));
                if (j < nRecv) {
                    MemorySegment dst = seg(data, bounds, rc, j, segElems, esz);
                    MemorySegment got = t.receive(left, dst.byteSize());
                    if (dst.byteSize() == 0) continue;
                    if (op == null) dst.copyFrom(got);
                    else reduceWithProgress(dst, got, dtype, op, esz);
                }
            }
            // the next step receives into memory this step may still be sending from (w = 2)
            t.flush();
        }
    }

    /**
     * Reduces in pieces and keeps the sockets moving in between: the group's one I/O thread also
     * does the arithmetic, and a megabyte of reduction is long enough for the peers' sends to
     * stall on a full receive buffer if nobody reads it.
     */
    private void reduceWithProgress(MemorySegment dst, MemorySegment got, DType dtype, ReduceOp op, int esz) {
        long pieceElems = Math.max(1, REDUCE_PIECE_BYTES / esz);
        long n = dst.byteSize() / esz;
        for (long i = 0; i < n; i += pieceElems) {
            long m = Math.min(pieceElems, n - i);
            Reductions.reduceInto(dst.asSlice(i * esz, m * esz), got.asSlice(i * esz, m * esz), dtype, op, m);
            t.progress();
        }
    }

    /** After this, chunk r() of {@code data} holds the reduction over all ranks. */
    private void ringReduceScatter(MemorySegment data, long[] bounds, DType dtype, ReduceOp op) {
        ringPass(data, bounds, dtype, op, -1);
    }

    /** Starting with chunk r() final on each rank, every rank ends with every chunk. */
    private void ringAllGather(MemorySegment data, long[] bounds, DType dtype) {
        ringPass(data, bounds, dtype, null, 0);
    }

    private void divideChunk(MemorySegment data, long[] bounds, int c, DType dtype, ReduceOp op) {
        if (op != ReduceOp.AVG) return;
        int esz = dtype.byteSize();
        Reductions.divide(data.asSlice(bounds[c] * esz, (bounds[c + 1] - bounds[c]) * esz), dtype, bounds[c + 1] - bounds[c], w());
    }

    /** Queues {@code data} for one peer in segments (at least one frame); it must not change until the next flush. */
    private void postSegmented(int peer, MemorySegment data, int esz) {
        long segBytes = Math.max(1, segmentBytes / esz) * esz;
        long off = 0;
        do {
            long n = Math.min(segBytes, data.byteSize() - off);
            t.post(peer, data.asSlice(off, n));
            off += n;
        } while (off < data.byteSize());
    }

    /** Sends {@code data} to one peer in segments and returns once it is all with the kernel. */
    private void sendSegmented(int peer, MemorySegment data, int esz) {
        postSegmented(peer, data, esz);
        t.flush();
    }

    /** {@code out = contributions[0] op contributions[1] op ...} in rank order, identical on every rank. */
    private static void combineInRankOrder(MemorySegment out, MemorySegment[] contributions, DType dtype, ReduceOp op, long count, int w) {
        out.copyFrom(contributions[0]);
        for (int p = 1; p < contributions.length; p++) Reductions.reduceInto(out, contributions[p], dtype, op, count);
        if (op == ReduceOp.AVG) Reductions.divide(out, dtype, count, w);
    }

    // ---- collectives ----------------------------------------------------------------------

    void allReduce(MemorySegment data, DType dtype, long count, ReduceOp op) {
        int w = w();
        if (w == 1) return;
        if (direct(data.byteSize())) {
            recursiveDoubling(data, dtype, count, op);
            return;
        }
        if (data.byteSize() < ringThresholdBytes) {
            halvingDoubling(data, dtype, count, op);
            return;
        }
        long[] bounds = evenBounds(count, w);
        ringReduceScatter(data, bounds, dtype, op);
        divideChunk(data, bounds, r(), dtype, op);
        ringAllGather(data, bounds, dtype);
    }

    /**
     * Small all-reduce in log2(w) exchanges: in round k each rank swaps its partial result with
     * rank {@code r ^ 2^k} and combines. Ranks beyond the largest power of two first hand their
     * data to a partner below it and get the result back at the end. Every rank ends bit-identical
     * because each combine is {@code mine op theirs} and the ops are commutative in IEEE arithmetic
     * ({@code a + b == b + a} exactly), so both partners compute the same value.
     */
    private void recursiveDoubling(MemorySegment data, DType dtype, long count, ReduceOp op) {
        int w = w(), r = r();
        int p2 = Integer.highestOneBit(w);
        int extra = w - p2;
        if (r >= p2) {
            t.send(r - p2, data);
            copyInto(data, t.receive(r - p2, data.byteSize()));
            return;
        }
        if (r < extra) combine(data, t.receive(r + p2, data.byteSize()), dtype, op, count);
        for (int mask = 1; mask < p2; mask <<= 1) {
            int partner = r ^ mask;
            t.send(partner, data);
            combine(data, t.receive(partner, data.byteSize()), dtype, op, count);
        }
        if (op == ReduceOp.AVG) Reductions.divide(data, dtype, count, w);
        if (r < extra) t.send(r + p2, data);
    }

    /**
     * Medium all-reduce (Rabenseifner's): a reduce-scatter by recursive halving, then an all-gather
     * by recursive doubling, among the largest power of two of ranks (the others hand their data to
     * a partner first and get the result back last, as in {@link #recursiveDoubling}). Each rank
     * moves what the ring moves, 2(p-1)/p of the buffer, in 2 log2(p) steps instead of 2(p-1).
     * Every element is reduced by exactly one rank and then copied, so all ranks end bit-identical.
     */
    private void halvingDoubling(MemorySegment data, DType dtype, long count, ReduceOp op) {
        int w = w(), r = r();
        int p2 = Integer.highestOneBit(w);
        int extra = w - p2;
        int esz = dtype.byteSize();
        if (r >= p2) {
            sendSegmented(r - p2, data, esz);
            receiveInto(r - p2, data, dtype, null);
            return;
        }
        if (r < extra) receiveInto(r + p2, data, dtype, op);
        long[] bounds = evenBounds(count, p2);
        int lo = 0, hi = p2; // the chunks this rank is still responsible for
        for (int mask = p2 >> 1; mask >= 1; mask >>= 1) {
            int mid = (lo + hi) >>> 1;
            boolean keepLow = (r & mask) == 0;
            MemorySegment give = elems(data, bounds[keepLow ? mid : lo], bounds[keepLow ? hi : mid], esz);
            MemorySegment keep = elems(data, bounds[keepLow ? lo : mid], bounds[keepLow ? mid : hi], esz);
            exchange(r ^ mask, give, keep, dtype, op);
            if (keepLow) hi = mid;
            else lo = mid;
        }
        // now chunk r is reduced over every rank
        divideChunk(data, bounds, r, dtype, op);
        for (int mask = 1; mask < p2; mask <<= 1) {
            int span = hi - lo;
            boolean lowHalf = (r & mask) == 0;
            int theirLo = lowHalf ? hi : lo - span;
            MemorySegment mine = elems(data, bounds[lo], bounds[hi], esz);
            MemorySegment theirs = elems(data, bounds[theirLo], bounds[theirLo + span], esz);
            exchange(r ^ mask, mine, theirs, dtype, null);
            lo = Math.min(lo, theirLo);
            hi = lo + 2 * span;
        }
        if (r < extra) sendSegmented(r + p2, data, esz);
    }

    private static MemorySegment elems(MemorySegment data, long from, long to, int esz) {
        return data.asSlice(from * esz, (to - from) * esz);
    }

    /**
     * Sends {@code out} to {@code peer} while receiving the same peer's piece into {@code in}
     * (reduced in with {@code op}, or copied when it is null), both in segments; returns once
     * both are done. The sends are posted first, so the two ranks' data cross on the wire.
     */
    private void exchange(int peer, MemorySegment out, MemorySegment in, DType dtype, ReduceOp op) {
        postSegmented(peer, out, dtype.byteSize());
        receiveInto(peer, in, dtype, op);
        t.flush();
    }

    /** Receives {@code into.byteSize()} bytes from {@code peer} in segments, reducing them in with {@code op} or copying when null. */
    private void receiveInto(int peer, MemorySegment into, DType dtype, ReduceOp op) {
        int esz = dtype.byteSize();
        long segBytes = Math.max(1, segmentBytes / esz) * esz;
        long off = 0;
        do {
            long n = Math.min(segBytes, into.byteSize() - off);
            MemorySegment got = t.receive(peer, n);
            if (n > 0) {
                MemorySegment dst = into.asSlice(off, n);
                if (op == null) dst.copyFrom(got);
                else reduceWithProgress(dst, got, dtype, op, esz);
            }
            off += n;
        } while (off < into.byteSize());
    }

    private static void combine(MemorySegment into, MemorySegment got, DType dtype, ReduceOp op, long count) {
        if (count > 0) Reductions.reduceInto(into, got, dtype, op, count);
    }

    private static void copyInto(MemorySegment into, MemorySegment got) {
        if (into.byteSize() > 0) into.copyFrom(got);
    }

    void broadcast(MemorySegment data, DType dtype, int root) {
        int w = w();
        if (w == 1) return;
        if (direct(data.byteSize())) {
            if (r() == root) {
                for (int p = 0; p < w; p++) if (p != root) t.send(p, data);
            } else {
                MemorySegment got = t.receive(root, data.byteSize());
                data.copyFrom(got);
            }
            return;
        }
        // a pipelined chain root -> root+1 -> ...: each segment is forwarded as soon as it lands
        int pos = mod(r() - root, w);
        int prev = mod(r() - 1, w);
        int next = mod(r() + 1, w);
        int esz = dtype.byteSize();
        long segBytes = Math.max(1, segmentBytes / esz) * esz;
        for (long off = 0; off < data.byteSize(); off += segBytes) {
            MemorySegment piece = data.asSlice(off, Math.min(segBytes, data.byteSize() - off));
            if (pos > 0) piece.copyFrom(t.receive(prev, piece.byteSize()));
            if (pos < w - 1) t.send(next, piece);
        }
    }

    void reduce(MemorySegment data, DType dtype, long count, int root, ReduceOp op) {
        int w = w();
        if (w == 1) return;
        if (direct(data.byteSize())) {
            if (r() != root) {
                t.send(root, data);
                return;
            }
            MemorySegment[] parts = new MemorySegment[w];
            for (int p = 0; p < w; p++) parts[p] = p == root ? data : t.receive(p, data.byteSize());
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(Math.max(1, data.byteSize())).asSlice(0, data.byteSize());
                combineInRankOrder(out, parts, dtype, op, count, w);
                data.copyFrom(out);
            }
            return;
        }
        // ring reduce-scatter (on a scratch copy off the root, whose buffer must stay unchanged), then gather to root
        long[] bounds = evenBounds(count, w);
        int esz = dtype.byteSize();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment work = data;
            if (r() != root) {
                work = a.allocate(data.byteSize(), 8);
                work.copyFrom(data);
            }
            ringReduceScatter(work, bounds, dtype, op);
            divideChunk(work, bounds, r(), dtype, op);
            if (r() != root) {
                sendSegmented(root, work.asSlice(bounds[r()] * esz, (bounds[r() + 1] - bounds[r()]) * esz), esz);
            } else {
                for (int p = 0; p < w; p++) {
                    if (p != root) receiveInto(p, data.asSlice(bounds[p] * esz, (bounds[p + 1] - bounds[p]) * esz), dtype, null);
                }
            }
        }
    }

    void allGather(MemorySegment output, MemorySegment input, DType dtype, long count) {
        int w = w();
        int esz = dtype.byteSize();
        long slotBytes = count * esz;
        output.asSlice(r() * slotBytes, slotBytes).copyFrom(input);
        if (w == 1) return;
        if (direct(slotBytes * w)) {
            for (int p = 0; p < w; p++) if (p != r()) t.send(p, input);
            for (int p = 0; p < w; p++) {
                if (p != r()) {
                    MemorySegment got = t.receive(p, slotBytes);
                    if (slotBytes > 0) output.asSlice(p * slotBytes, slotBytes).copyFrom(got);
                }
            }
            return;
        }
        ringAllGather(output, slotBounds(count, w), dtype);
    }

    void reduceScatter(MemorySegment output, MemorySegment input, DType dtype, long count, ReduceOp op) {
        int w = w();
        int esz = dtype.byteSize();
        long slotBytes = count * esz;
        if (w == 1) {
            output.copyFrom(input.asSlice(0, slotBytes));
            return;
        }
        if (direct(slotBytes * w)) {
            for (int p = 0; p < w; p++) if (p != r()) t.send(p, input.asSlice(p * slotBytes, slotBytes));
            MemorySegment[] parts = new MemorySegment[w];
            for (int p = 0; p < w; p++) parts[p] = p == r() ? input.asSlice(r() * slotBytes, slotBytes) : t.receive(p, slotBytes);
            combineInRankOrder(output.asSlice(0, slotBytes), parts, dtype, op, count, w);
            return;
        }
        long[] bounds = slotBounds(count, w);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment work = a.allocate(Math.max(1, input.byteSize()), 8).asSlice(0, slotBytes * w);
            work.copyFrom(input.asSlice(0, slotBytes * w));
            ringReduceScatter(work, bounds, dtype, op);
            divideChunk(work, bounds, r(), dtype, op);
            output.asSlice(0, slotBytes).copyFrom(work.asSlice(r() * slotBytes, slotBytes));
        }
    }

    /** Dissemination barrier: in round k, signal rank r + 2^k and wait for rank r - 2^k; ceil(log2 w) rounds. */
    void barrier() {
        int w = w();
        for (int d = 1; d < w; d <<= 1) {
            t.send(mod(r() + d, w), MemorySegment.NULL);
            t.receive(mod(r() - d, w), 0);
        }
    }

    void send(MemorySegment data, DType dtype, int peer) {
        sendSegmented(peer, data, dtype.byteSize());
    }

    void recv(MemorySegment data, DType dtype, int peer) {
        receiveInto(peer, data, dtype, null);
    }
}
