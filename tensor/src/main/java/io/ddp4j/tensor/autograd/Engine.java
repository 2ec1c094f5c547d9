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
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reverse-mode engine, PyTorch's design on one thread: count, for every node reachable from the
 * roots, how many gradient contributions it will receive; run nodes whose count reached zero,
 * latest op first; run a leaf's {@link AccumulateGrad} the moment its count reaches zero, before
 * any other node, so its grad-ready hooks fire as early as possible (what lets DDP start reducing
 * a bucket while backward goes on).
 *
 * <p>Two kinds of pass: {@link #backward} accumulates into leaves' .grad; {@link #grad} returns the
 * gradients of chosen tensors (leaves or not) and touches no .grad, running only the nodes on a
 * path to them. Without createGraph a pass runs with grad mode off and inside its own scope, so
 * intermediate gradients are freed when it returns. With createGraph the rules run with grad mode
 * on, so the gradients it computes are themselves differentiable (higher-order gradients), and
 * what it makes belongs to the caller's scope, as a forward pass's tensors do.
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
            Node n = nodeOf(r);
            if (n != null && seen.put(n, true) == null) stack.push(n);
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (n instanceof AccumulateGrad acc) leaves.add(acc.leaf());
            for (Node next : n.next()) if (next != null && seen.put(next, true) == null) stack.push(next);
        }
        return leaves;
    }

    /** The node a gradient for {@code t} enters the graph at, or null when t takes no part in autograd. */
    static Node nodeOf(Tensor t) {
        return t.gradFn() != null ? t.gradFn() : t.requiresGrad() ? t.gradAccumulator() : null;
    }

    public static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        backward(root, gradRoot, retainGraph, false);
    }

    /**
     * Accumulates d(root)/d(leaf), weighted by {@code gradRoot}, into every leaf's .grad. With
     * {@code createGraph} the accumulated gradients carry a graph (see {@link Tensor#accumulateGrad}).
     */
    public static void backward(Tensor root, Tensor gradRoot, boolean retainGraph, boolean createGraph) {
        Node rootNode = nodeOf(root);
        if (rootNode == null)
            throw new IllegalStateException("backward: the tensor " + root.describe()
                    + " does not require grad and has no grad_fn (was it made under noGrad(), or from tensors that do not require grad?)");
        new Pass(new Node[]{rootNode}, new Tensor[]{gradRoot}, null, createGraph).run(retainGraph);
    }

    /**
     * The gradients of {@code outputs} (weighted by {@code seeds}) with respect to {@code inputs},
     * PyTorch's {@code torch.autograd.grad}: no .grad is touched and no grad-ready hook fires. An
     * input the outputs do not depend on gets null. The caller has checked the arguments
     * ({@link Autograd#grad}).
     */
    static Tensor[] grad(Tensor[] outputs, Tensor[] seeds, Tensor[] inputs, boolean retainGraph, boolean createGraph) {
        Node[] roots = new Node[outputs.length];
        for (int i = 0; i < outputs.length; i++) roots[i] = nodeOf(outputs[i]);
        Set<Node> targets = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Tensor in : inputs) targets.add(nodeOf(in));
        Pass pass = new Pass(roots, seeds, targets, createGraph);
        Map<Node, Tensor> captured = pass.run(retainGraph);
        Tensor[] result = new Tensor[inputs.length];
        for (int i = 0; i < inputs.length; i++) result[i] = captured.get(nodeOf(inputs[i]));
        return result;
    }

    /** One run of the engine over the graph below some roots. */
    private static final class Pass {
        private final Node[] roots;
        private final Tensor[] seeds;
        /** The nodes whose incoming gradient is wanted ({@link #grad}), or null to accumulate into leaves. */
        private final Set<Node> targets;
        private final boolean createGraph;
        /** The nodes this pass runs: all reachable ones for backward, those on a path to a target for grad. */
        private final Set<Node> needed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        private final Map<Node, Integer> dependencies = new IdentityHashMap<>();

        Pass(Node[] roots, Tensor[] seeds, Set<Node> targets, boolean createGraph) {
            this.roots = roots;
            this.seeds = seeds;
            this.targets = targets;
            this.createGraph = createGraph;
            plan();
        }

        /** Finds the nodes to run and, for each, how many gradient contributions it waits for. */
        private void plan() {
            // every reachable node; for grad, also each one's parents (the nodes whose rule feeds it)
            Map<Node, List<Node>> parents = new IdentityHashMap<>();
            Set<Node> reachable = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            ArrayDeque<Node> stack = new ArrayDeque<>();
            for (Node r : roots) if (r != null && reachable.add(r)) stack.push(r);
            while (!stack.isEmpty()) {
                Node n = stack.pop();
                if (n instanceof FunctionNode fn && fn.isReleased())
                    throw new IllegalStateException("backward: the graph through '" + fn.name() + "' was already freed by an earlier "
                            + "backward(); pass retainGraph=true to the first backward() to go through it twice");
                for (Node next : n.next()) {
                    if (next == null) continue;
                    if (targets != null) parents.computeIfAbsent(next, k -> new ArrayList<>()).add(n);
                    if (reachable.add(next)) stack.push(next);
                }
            }
            if (targets == null) {
                needed.addAll(reachable);
            } else {
                // walk up from the targets: a node is needed when some target lies below it
                for (Node t : targets) if (reachable.contains(t) && needed.add(t)) stack.push(t);
                while (!stack.isEmpty())
                    for (Node parent : parents.getOrDefault(stack.pop(), List.of())) if (needed.add(parent)) stack.push(parent);
            }
            for (Node n : needed) {
                if (runsRule(n)) for (Node next : n.next()) if (next != null && needed.contains(next)) dependencies.merge(next, 1, Integer::sum);
            }
        }

        /** Whether the pass applies n's rule: a target is where the walk stops unless a target lies below it. */
        private boolean runsRule(Node n) {
            if (!(n instanceof FunctionNode fn)) return false;
            if (targets == null || !targets.contains(n)) return true;
            for (Node next : fn.next()) if (next != null && needed.contains(next)) return true;
            return false;
        }

        Map<Node, Tensor> run(boolean retainGraph) {
            Consumer<String> trace = TRACE.get();
            List<FunctionNode> visited = new ArrayList<>();
            Map<Node, Tensor> captured = new IdentityHashMap<>();
            List<Runnable> outerCallbacks = CALLBACKS.get();
            List<Runnable> callbacks = new ArrayList<>();
            CALLBACKS.set(callbacks);
            boolean finished = false;
            // backward rules run in the dtypes their forward chose: autocast is off while they run
            try (Scope scope = createGraph ? null : Scope.open();
                 GradMode.Guard mode = createGraph ? GradMode.enableGrad() : GradMode.noGrad();
                 Autocast off = Autocast.disable()) {
                Map<Node, Tensor> pending = new HashMap<>();
                PriorityQueue<Node> ready = new PriorityQueue<>(Comparator.comparingLong((Node n) -> n.sequence).reversed());
                for (int i = 0; i < roots.length; i++) {
                    if (roots[i] == null || !needed.contains(roots[i])) continue;
                    pending.merge(roots[i], seeds[i], Tensor::add);
                }
                for (Node r : pending.keySet()) if (dependencies.getOrDefault(r, 0) == 0) ready.add(r);
                while (!ready.isEmpty()) {
                    Node node = ready.poll();
                    Tensor grad = pending.remove(node);
                    if (targets != null && targets.contains(node)) captured.put(node, grad);
                    if (node instanceof AccumulateGrad leafSink) {
                        if (targets == null) leafSink.accumulate(grad);
                        continue;
                    }
                    if (!runsRule(node)) continue;
                    FunctionNode fn = (FunctionNode) node;
                    visited.add(fn);
                    if (trace != null) trace.accept(fn.name());
                    Node[] next = fn.next();
                    // a backward pass needs every input with a node (all reachable nodes run), fixed per node
                    boolean[] needs = targets == null ? fn.everyInputWithANode() : new boolean[next.length];
                    if (targets != null) for (int i = 0; i < next.length; i++) needs[i] = next[i] != null && needed.contains(next[i]);
                    Tensor[] inputGrads = fn.apply(grad, needs);
                    for (int i = 0; i < next.length; i++) {
                        if (!needs[i]) continue;
                        Node target = next[i];
                        Tensor g = inputGrads[i];
                        if (g != null) pending.merge(target, g, Tensor::add);
                        int left = dependencies.merge(target, -1, Integer::sum);
                        if (left > 0) continue;
                        if (!pending.containsKey(target)) continue; // every contribution was "no gradient"
                        if (target instanceof AccumulateGrad leafSink && targets == null) {
                            // a leaf's gradient is final now: accumulate and fire its hooks before anything else runs
                            leafSink.accumulate(pending.remove(target));
                        } else {
                            ready.add(target);
                        }
                    }
                }
                // a captured gradient made in this pass's scope (or a caller's tensor, such as a seed) is handed
                // back as an alias that belongs to no scope: it keeps the storage alive when the scope closes
                if (!createGraph) captured.replaceAll((node, g) -> g.detach().keep());
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
            if (!createGraph) captured.replaceAll((node, g) -> g.joinCurrentScope());
            return captured;
        }
    }
}
