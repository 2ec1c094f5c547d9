package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.Engine;
import io.ddp4j.tensor.autograd.HookHandle;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hook DDP builds on: it fires once per backward pass for each leaf, as soon as that leaf's
 * gradient is final, before the engine runs the backward of earlier layers.
 */
class GradReadyHookTest {

    private static Tensor param(Generator gen, String name, int... shape) {
        return Tensor.randn(gen, DType.F64, shape).mul(0.5).keep().setRequiresGrad(true).setName(name);
    }

    @Test
    void aDeepMlpReportsGradientsInReverseLayerOrderInterleavedWithBackward() {
        Generator gen = new Generator(3);
        int layers = 6, width = 8;
        List<Tensor> weights = new ArrayList<>(), biases = new ArrayList<>();
        for (int l = 1; l <= layers; l++) {
            weights.add(param(gen, "W" + l, width, width));
            biases.add(param(gen, "b" + l, width));
        }
        List<String> events = new ArrayList<>();
        List<double[]> gradSeenByHook = new ArrayList<>();
        List<Tensor> readyOrder = new ArrayList<>();
        List<Thread> hookThreads = new ArrayList<>();
        for (Tensor p : concat(weights, biases))
            p.registerGradReadyHook(leaf -> {
                events.add("ready " + leaf.name());
                hookThreads.add(Thread.currentThread());
                readyOrder.add(leaf);
                gradSeenByHook.add(leaf.grad().toDoubleArray());
            });

        try (Scope scope = Scope.open(); HookHandle trace = Engine.traceBackward(op -> events.add("backward " + op))) {
            Tensor h = Tensor.randn(gen, DType.F64, 4, width);
            for (int l = 0; l < layers; l++) {
                h = Functional.linear(h, weights.get(l), biases.get(l));
                if (l < layers - 1) h = h.relu();
            }
            h.pow(2).mean().backward();
        }

        List<String> expected = new ArrayList<>(List.of("backward mean", "backward pow"));
        for (int l = layers; l >= 1; l--) {
            expected.add("backward linear");
            expected.add("ready W" + l);
            expected.add("ready b" + l);
            if (l > 1) expected.add("backward relu");
        }
        assertEquals(expected, events);
        assertEquals(2 * layers, hookThreads.size(), "each hook fired exactly once");
        for (Thread t : hookThreads) assertSame(Thread.currentThread(), t, "hooks run on the thread running backward");
        // what each hook saw was already the final gradient
        for (int i = 0; i < readyOrder.size(); i++)
            assertArrayEquals(readyOrder.get(i).grad().toDoubleArray(), gradSeenByHook.get(i));
        for (Tensor p : concat(weights, biases)) p.close();
    }

    @Test
    void aSharedWeightFiresOnceAfterItsLastContribution() {
        Generator gen = new Generator(9);
        Tensor w = param(gen, "shared", 3, 3), first = param(gen, "first", 3, 3);
        List<String> events = new ArrayList<>();
        List<double[]> seen = new ArrayList<>();
        w.registerGradReadyHook(leaf -> {
            events.add("ready shared");
            seen.add(leaf.grad().toDoubleArray());
        });
        first.registerGradReadyHook(leaf -> events.add("ready first"));
        try (Scope scope = Scope.open(); HookHandle trace = Engine.traceBackward(op -> events.add("backward " + op))) {
            Tensor x = Tensor.randn(gen, DType.F64, 2, 3);
            // shared is used by the first and by the last layer; its gradient is final only after the first layer's backward
            Tensor y = Functional.linear(Functional.linear(Functional.linear(x, w, null).tanh(), first, null), w, null);
            y.sum().backward();
        }
        // "first" is final right after the middle layer's backward; "shared" only after the first layer's
        assertEquals(List.of("backward sum", "backward linear", "backward linear", "ready first", "backward tanh", "backward linear",
                "ready shared"), events);
        assertEquals(1, seen.size());
        assertArrayEquals(w.grad().toDoubleArray(), seen.get(0));
        w.close();
        first.close();
    }

    @Test
    void gradientsAccumulateInPlaceIntoACallersBucketView() {
        Generator gen = new Generator(11);
        Tensor w = param(gen, "w", 2, 3), b = param(gen, "b", 3);
        Tensor bucket = Tensor.zeros(DType.F64, 9).keep();
        Tensor wGrad = bucket.narrow(0, 0, 6).view(2, 3).keep();
        Tensor bGrad = bucket.narrow(0, 6, 3).keep();
        w.setGrad(wGrad);
        b.setGrad(bGrad);
        Tensor x = Tensor.randn(gen, DType.F64, 4, 2).keep();

        double[] once;
        try (Scope s = Scope.open()) {
            x.matmul(w).add(b).sum().backward();
            once = bucket.toDoubleArray();
        }
        try (Scope s = Scope.open()) {
            x.matmul(w).add(b).sum().backward();
        }
        assertSame(wGrad, w.grad(), "the caller's view stays the gradient");
        assertSame(bGrad, b.grad());
        double[] twice = bucket.toDoubleArray();
        for (int i = 0; i < 9; i++) assertEquals(2 * once[i], twice[i], 1e-12);
        // d(sum(x w + b))/db = number of rows, and dW = column sums of x repeated
        assertArrayEquals(new double[]{8, 8, 8}, bGrad.toDoubleArray(), 1e-12);
        double[] colSums = x.sum(0, false).toDoubleArray();
        assertArrayEquals(new double[]{2 * colSums[0], 2 * colSums[0], 2 * colSums[0], 2 * colSums[1], 2 * colSums[1], 2 * colSums[1]},
                wGrad.toDoubleArray(), 1e-12);
        for (Tensor t : List.of(w, b, bucket, wGrad, bGrad, x)) t.close();
    }

    @Test
    void aClosedCallerGradientIsReportedNotSilentlyReplaced() {
        Tensor w = Tensor.ones(DType.F64, 2).keep().setRequiresGrad(true);
        Tensor view = Tensor.zeros(DType.F64, 2).keep();
        w.setGrad(view);
        view.close();
        try (Scope s = Scope.open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.mul(2).sum().backward());
            assertTrue(e.getMessage().contains("accumulateGrad") && e.getMessage().contains("closed"), e.getMessage());
        }
        w.close();
    }

    @Test
    void removedHooksNoLongerFireAndOnlyLeavesTakeHooks() {
        Tensor w = Tensor.ones(DType.F64, 2).keep().setRequiresGrad(true);
        List<String> events = new ArrayList<>();
        HookHandle handle = w.registerGradReadyHook(leaf -> events.add("fired"));
        try (Scope s = Scope.open()) {
            w.mul(3).sum().backward();
            handle.remove();
            w.mul(3).sum().backward();
            Tensor notALeaf = w.mul(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> notALeaf.registerGradReadyHook(t -> {}));
            assertTrue(e.getMessage().contains("registerGradReadyHook"), e.getMessage());
        }
        assertEquals(List.of("fired"), events);
        w.close();
    }

    private static List<Tensor> concat(List<Tensor> a, List<Tensor> b) {
        List<Tensor> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
