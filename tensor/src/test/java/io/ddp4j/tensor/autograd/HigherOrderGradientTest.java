package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.ScopePerTest;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static io.ddp4j.tensor.autograd.HigherOrderTorchValues.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Higher-order gradients, PyTorch's way: {@code Autograd.grad} (torch.autograd.grad) hands
 * gradients back without touching .grad, with createGraph they can be differentiated again, and
 * {@code backward(createGraph)} leaves a .grad that carries a graph. Gradient penalties on an MLP
 * and a CNN match PyTorch 1.13's values.
 */
@ExtendWith(ScopePerTest.class)
class HigherOrderGradientTest {
    /** Value i is sin(0.37 i + offset) * scale, as higher_order_torch.py builds its tensors. */
    private static Tensor filled(double offset, double scale, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = Math.sin(0.37 * i + offset) * scale;
        return Tensor.fromArray(v, shape);
    }

    private static Tensor leaf(double offset, double scale, int... shape) {
        return filled(offset, scale, shape).setRequiresGrad(true);
    }

    private static void assertClose(double[] expected, Tensor actual, String what) {
        assertNotNull(actual, what + " is null");
        double[] a = actual.toDoubleArray();
        assertEquals(expected.length, a.length, what + " size");
        for (int i = 0; i < a.length; i++)
            assertEquals(expected[i], a[i], 1e-12 + 1e-10 * Math.abs(expected[i]), what + " at " + i);
    }

    @Test
    void derivativesOfACubeToTheThirdOrder() {
        Tensor x = Tensor.fromArray(new double[]{2.0, -1.0}).setRequiresGrad(true);
        Tensor y = x.pow(3.0).sum();
        Tensor first = Autograd.gradWithGraph(y, x)[0];
        assertArrayEquals(new double[]{12, 3}, first.toDoubleArray()); // 3x^2
        Tensor second = Autograd.gradWithGraph(first.sum(), x)[0];
        assertArrayEquals(new double[]{12, -6}, second.toDoubleArray()); // 6x
        Tensor third = Autograd.grad(second.sum(), x)[0];
        assertArrayEquals(new double[]{6, 6}, third.toDoubleArray());
        assertNull(x.grad(), "grad() leaves .grad alone");
        assertNull(third.gradFn(), "without createGraph the gradient carries no graph");
        assertNotNull(second.gradFn());
    }

    @Test
    void gradWithRespectToAnIntermediateAndALeafAtOnce() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0, 3.0}).setRequiresGrad(true);
        Tensor h = x.mul(3.0);
        Tensor out = h.pow(2.0).sum();
        Tensor[] g = Autograd.grad(new Tensor[]{out}, new Tensor[]{h, x}, null, false, false, false);
        assertArrayEquals(new double[]{6, 12, 18}, g[0].toDoubleArray()); // 2h
        assertArrayEquals(new double[]{18, 36, 54}, g[1].toDoubleArray()); // 2h * 3
    }

    @Test
    void severalOutputsWeightedByTheirGradients() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor a = x.mul(x), b = x.exp();
        Tensor[] g = Autograd.grad(new Tensor[]{a, b}, new Tensor[]{x},
                new Tensor[]{Tensor.fromArray(new double[]{1.0, 10.0}), Tensor.fromArray(new double[]{2.0, 0.0})}, false, false, false);
        assertArrayEquals(new double[]{2 * 1 + 2 * Math.exp(1), 10 * 2 * 2}, g[0].toDoubleArray(), 1e-12);
    }

    @Test
    void gradFiresNoHookAndRunsOnlyThePathToTheInputs() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor w = Tensor.fromArray(new double[]{3.0, 4.0}).setRequiresGrad(true);
        List<String> hooks = new ArrayList<>(), ran = new ArrayList<>();
        x.registerGradReadyHook(t -> hooks.add("x"));
        w.registerGradReadyHook(t -> hooks.add("w"));
        Tensor loss = x.exp().sum().add(w.tanh().sum());
        try (HookHandle trace = Engine.traceBackward(ran::add)) {
            Autograd.grad(loss, x);
        }
        assertTrue(hooks.isEmpty(), "grad-ready hooks fired: " + hooks);
        assertFalse(ran.contains("tanh"), "the branch to w ran: " + ran);
        assertTrue(ran.contains("exp"), ran.toString());
        assertNull(x.grad());
        assertNull(w.grad());
    }

    @Test
    void unusedInputsAreNamedOrGivenNullOnRequest() {
        Tensor x = Tensor.fromArray(new double[]{1.0}).setRequiresGrad(true);
        Tensor unused = Tensor.fromArray(new double[]{5.0}).setRequiresGrad(true).setName("unused");
        Tensor y = x.mul(2.0).sum();
        var e = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(new Tensor[]{y}, new Tensor[]{x, unused}, null, true, false, false));
        assertTrue(e.getMessage().contains("input 1") && e.getMessage().contains("not used"), e.getMessage());
        Tensor[] g = Autograd.grad(new Tensor[]{y}, new Tensor[]{x, unused}, null, false, false, true);
        assertArrayEquals(new double[]{2}, g[0].toDoubleArray());
        assertNull(g[1]);
    }

    @Test
    void badArgumentsAreRefusedNamingThem() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor constant = Tensor.fromArray(new double[]{1.0, 2.0});
        Tensor y = x.mul(x);
        var notLeaf = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(y.sum(), constant));
        assertTrue(notLeaf.getMessage().contains("does not require grad"), notLeaf.getMessage());
        var noGraph = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(constant.sum(), x));
        assertTrue(noGraph.getMessage().contains("output 0") && noGraph.getMessage().contains("no grad_fn"), noGraph.getMessage());
        var implied = assertThrows(IllegalArgumentException.class, () -> Autograd.grad(y, x));
        assertTrue(implied.getMessage().contains("one-element"), implied.getMessage());
        var seed = assertThrows(IllegalArgumentException.class,
                () -> Autograd.grad(new Tensor[]{y}, new Tensor[]{x}, new Tensor[]{Tensor.ones(DType.F64, 3)}, false, false, false));
        assertTrue(seed.getMessage().contains("gradOutputs 0"), seed.getMessage());
    }

    @Test
    void withoutRetainGraphTheGraphIsFreedAfterGrad() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor y = x.exp().sum();
        Autograd.grad(y, x);
        var e = assertThrows(IllegalStateException.class, () -> Autograd.grad(y, x));
        assertTrue(e.getMessage().contains("already freed"), e.getMessage());
        Tensor z = x.exp().sum();
        Autograd.grad(new Tensor[]{z}, new Tensor[]{x}, null, true, false, false);
        assertArrayEquals(Autograd.grad(z, x)[0].toDoubleArray(), new double[]{Math.exp(1), Math.exp(2)}, 1e-12);
    }

    @Test
    void gradientsBelongToTheCallersScopeAndASeedIsNotTakenFromItsOwner() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor seed = Tensor.fromArray(new double[]{4.0, 5.0});
        Tensor y = x.mul(1.0);
        Tensor inner;
        try (Scope s = Scope.open()) {
            inner = Autograd.grad(new Tensor[]{y}, new Tensor[]{y}, new Tensor[]{seed}, true, false, false)[0];
            assertArrayEquals(new double[]{4, 5}, inner.toDoubleArray());
        }
        assertTrue(inner.isClosed(), "the gradient belongs to the scope it was asked in");
        assertFalse(seed.isClosed(), "the caller's seed is still theirs");
        assertArrayEquals(new double[]{4, 5}, seed.toDoubleArray());
    }

    @Test
    void backwardWithCreateGraphAccumulatesAGradThatCarriesAGraph() {
        // PyTorch: x.pow(3).sum().backward(create_graph=True); x.grad.sum().backward() leaves 3x^2 + 6x
        Tensor x = leaf(0.3, 2.0, 3);
        x.pow(3.0).sum().backward(true);
        assertClose(CUBE_FIRST, x.grad(), "first");
        assertNotNull(x.grad().gradFn(), "the .grad carries a graph");
        Tensor first = x.grad();
        first.sum().backward();
        assertClose(CUBE_ACCUMULATED, x.grad(), "accumulated");
        assertClose(CUBE_FIRST, first, "the first gradient, still used by its graph, is not written in place");
    }

    @Test
    void createGraphCannotWriteIntoAGradGivenWithSetGrad() {
        Tensor x = Tensor.fromArray(new double[]{1.0, 2.0}).setRequiresGrad(true);
        Tensor bucketView = Tensor.zeros(DType.F64, 2);
        x.setGrad(bucketView);
        var e = assertThrows(IllegalStateException.class, () -> x.pow(2.0).sum().backward(true));
        assertTrue(e.getMessage().contains("setGrad") && e.getMessage().contains("Autograd.grad"), e.getMessage());
        assertSame(bucketView, x.grad());
        assertArrayEquals(new double[]{0, 0}, bucketView.toDoubleArray());
    }

    @Test
    void mlpGradientPenaltyMatchesPyTorch() {
        Tensor x = leaf(0.1, 1.0, 4, 3);
        Tensor w1 = leaf(0.7, 0.8, 5, 3), b1 = leaf(1.3, 0.5, 5);
        Tensor w2 = leaf(2.1, 0.9, 1, 5), b2 = leaf(0.4, 0.3, 1);
        Tensor d = Functional.linear(Functional.linear(x, w1, b1).tanh(), w2, b2);
        Tensor gx = Autograd.gradWithGraph(d.sum(), x)[0];
        Tensor penalty = gx.pow(2.0).sum(1, false).sqrt().sub(1.0).pow(2.0).mean();
        penalty.backward();
        assertClose(MLP_PENALTY, penalty, "penalty");
        assertClose(MLP_X_GRAD, x.grad(), "x.grad");
        assertClose(MLP_W1_GRAD, w1.grad(), "w1.grad");
        assertClose(MLP_B1_GRAD, b1.grad(), "b1.grad");
        assertClose(MLP_W2_GRAD, w2.grad(), "w2.grad");
        assertNull(b2.grad(), "the output bias does not move dD/dx (PyTorch: None)");
    }

    @Test
    void cnnGradientPenaltyMatchesPyTorch() {
        Tensor x = leaf(0.2, 1.0, 2, 1, 6, 6);
        Tensor wc = leaf(0.9, 0.6, 3, 1, 3, 3), bc = leaf(1.7, 0.2, 3);
        Tensor w = leaf(0.5, 0.3, 4, 27), b = leaf(2.5, 0.1, 4);
        Tensor h = Functional.maxPool2d(Functional.conv2d(x, wc, bc, 1, 1).tanh(), 2, 2, 0).reshape(2, -1);
        Tensor loss = Functional.crossEntropy(Functional.linear(h, w, b), Tensor.fromArray(new long[]{1, 3}), 0.1);
        Tensor gx = Autograd.gradWithGraph(loss, x)[0];
        Tensor penalty = gx.pow(2.0).sum();
        penalty.backward();
        assertClose(CNN_PENALTY, penalty, "penalty");
        assertClose(CNN_WC_GRAD, wc.grad(), "conv weight grad");
        assertClose(CNN_BC_GRAD, bc.grad(), "conv bias grad");
        assertClose(CNN_W_GRAD, w.grad(), "linear weight grad");
        assertClose(CNN_B_GRAD, b.grad(), "linear bias grad");
    }
}
