package io.ddp4j.tensor.memory.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of one captured CUDA graph (PyTorch's private graph pool). A graph replays its
 * kernels on the same addresses every time, so every block allocated while the graph was being
 * captured belongs to it until the graph is destroyed: freed during capture (a temporary), such a
 * block is reused only by later allocations of the same capture, in the graph's own order; freed
 * after it, it waits here, never handed to work outside the graph, which would be overwritten by
 * the next replay. Blocks made before the capture and freed during it wait here too, since the
 * graph may write them. Released, its blocks join the allocator's ordinary cache.
 */
public final class GraphPool {
    private static int nextId;

    final int id;
    /** size -> free blocks of this pool */
    final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    /** Blocks made outside the capture (before it, or by another graph) and freed during it: the graph may use them, so they wait for its release. */
    final List<Block> deferred = new ArrayList<>();
    long blocks, bytes;
    boolean released;

    /** A free block of this pool, for a later allocation of the same capture. */
    void keep(Block b) {
        free.computeIfAbsent(b.size, s -> new ArrayDeque<>()).push(b);
    }

    GraphPool() {
        synchronized (GraphPool.class) {
            this.id = ++nextId;
        }
    }

    /** Blocks allocated for the graph so far, and their bytes. */
    public long blockCount() {
        return blocks;
    }

    public long byteCount() {
        return bytes;
    }

    @Override
    public String toString() {
        return "graph pool #" + id + " (" + blocks + " blocks, " + Bytes.format(bytes) + (released ? ", released)" : ")");
    }
}
