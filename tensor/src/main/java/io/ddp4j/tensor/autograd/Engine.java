package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.amp.Autocast;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * Reverse-mode engine, PyTorch's design on one thread: count, for every node reachable from the
 * root, how many gradient contributions it will receive; run nodes whose count reached zero,
 * latest op first; run a leaf's {@link AccumulateGrad} the moment its count reaches zero, before
 * any other node, so its grad-ready hooks fire as early as possible (what lets DDP start reducing
 * a bucket while backward goes on).
 *
 * <p>Backward runs with grad mode off (no higher-order gradients) and inside its own scope, so
 * the intermediate gradients are freed when it returns; leaves' .grad tensors belong to no scope.
 */
public final class Engine {
    private static final ThreadLocal<Consumer<String>> TRACE = new ThreadLocal<>();
    /** Callbacks queued during the backward pass running on this thread (null when none runs). */
    private static final ThreadLocal<List<Runnable>> CALLBACKS = new ThreadLocal<>();

    private Engine() {}

    /**
     * Calls {@code listener} with each op's name just before its backward rule runs on this thread,
     * until the returned handle is closed (for tests and timelines).
     */
    public static HookHandle traceBackward(Consumer<String> listener) {
        Consumer<String> previous = TRACE.get();
        TRACE.set(listener);
        return () -> TRACE.set(previous);
    }

    /**
     * Runs {@code callback} once the backward pass running on this thread has processed every node,
     * after its intermediate gradients are freed, in the order callbacks were queued (PyTorch's
     * {@code queue_callback}). Meant for grad-ready hooks: DDP queues its end-of-backward step
     * from the first hook of an iteration. Throws when no backward pass is running on this thread.
     */
    public static void queueCallback(Runnable callback) {
        List<Runnable> queue = CALLBACKS.get();
        if (queue == null) throw new IllegalStateException("queueCallback: no backward pass is running on thread " + Thread.currentThread().getName());
        queue.add(callback);
    }

    /**
     * The leaf tensors requiring grad that a backward pass from {@code roots} would reach, in no
     * particular order. DDP with findUnusedParameters asks this after forward to learn, before
     * backward starts, which parameters will get no gradient.
     */
    public static java.util.Set<Tensor> reachableLeaves(java.util.Collection<Tensor> roots) {
        java.util.Set<Tensor> leaves = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        for (Tensor r : roots) {
            Node n = r.gradFn() != null ? r.gradFn() : r.requiresGrad() ? r.gradAccumulator() : null;
            if (n != null && seen.put(n, true) == null) stack.push(n);
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (n instanceof AccumulateGrad acc) leaves.add(acc.leaf());
            for (Node next : n.next()) if (next != null && seen.put(next, true) == null) stack.push(next);
        }
        return leaves;
    }

    public static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        Node rootNode = root.gradFn() != null ? root.gradFn() : root.requiresGrad() ? root.gradAccumulator() : null;
        if (rootNode == null)
            throw new IllegalStateException("backward: the tensor " + root.describe()
                    + " does not require grad and has no grad_fn (was it made under noGrad(), or from tensors that do not require grad?)");
        Map<Node, Integer> dependencies = countDependencies(rootNode);
        Consumer<String> trace = TRACE.get();
        List<FunctionNode> visited = new ArrayList<>();
        List<Runnable> outerCallbacks = CALLBACKS.get();
        List<Runnable> callbacks = new ArrayList<>();
        CALLBACKS.set(callbacks);
        boolean finished = false;
        // backward rules run in the dtypes their forward chose: autocast is off while they run
        try (Scope scope = Scope.open(); GradMode.Guard noGrad = GradMode.noGrad(); Autocast off = Autocast.disable()) {
            Map<Node, Tensor> pending = new HashMap<>();
            PriorityQueue<Node> ready = new PriorityQueue<>(Comparator.comparingLong((Node n) -> n.sequence).reversed());
            pending.put(rootNode, gradRoot);
            ready.add(rootNode);
            while (!ready.isEmpty()) {
                Node node = ready.poll();
                Tensor grad = pending.remove(node);
                if (node instanceof AccumulateGrad leafSink) {
                    leafSink.accumulate(grad);
                    continue;
                }
                FunctionNode fn = (FunctionNode) node;
                visited.add(fn);
                if (trace != null) trace.accept(fn.name());
                Tensor[] inputGrads = fn.apply(grad);
                Node[] next = fn.next();
                for (int i = 0; i < next.length; i++) {
                    Node target = next[i];
                    if (target == null) continue;
                    Tensor g = inputGrads[i];
                    if (g != null) pending.merge(target, g, Tensor::add);
                    int left = dependencies.merge(target, -1, Integer::sum);
                    if (left > 0) continue;
                    if (!pending.containsKey(target)) continue; // every contribution was "no gradient"
                    if (target instanceof AccumulateGrad leafSink) {
                        // a leaf's gradient is final now: accumulate and fire its hooks before anything else runs
                        leafSink.accumulate(pending.remove(target));
                    } else {
                        ready.add(target);
                    }
                }
            }
            finished = true;
        } finally {
            if (!retainGraph) for (FunctionNode fn : visited) fn.release();
            if (!finished) CALLBACKS.set(outerCallbacks);
        }
        try (GradMode.Guard noGrad = GradMode.noGrad(); Autocast off = Autocast.disable()) {
            for (int i = 0; i < callbacks.size(); i++) callbacks.get(i).run(); // a callback may queue another
        } finally {
            CALLBACKS.set(outerCallbacks);
        }
    }

    /** For each node reachable from root, the number of edges into it from reachable nodes. */
    private static Map<Node, Integer> countDependencies(Node root) {
        Map<Node, Integer> deps = new IdentityHashMap<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        stack.push(root);
        seen.put(root, true);
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (n instanceof FunctionNode fn && fn.isReleased())
                throw new IllegalStateException("backward: the graph through '" + fn.name() + "' was already freed by an earlier "
                        + "backward(); pass retainGraph=true to the first backward() to go through it twice");
            for (Node next : n.next()) {
                if (next == null) continue;
                deps.merge(next, 1, Integer::sum);
                if (seen.put(next, true) == null) stack.push(next);
            }
        }
        return deps;
    }
}
