package io.ddp4j.tensor;

import io.ddp4j.tensor.autograd.GradMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(ScopePerTest.class)
class AutogradTest {
    private static Tensor leaf(double... values) {
        return Tensor.fromArray(values).setRequiresGrad(true);
    }

    @Test
    void backwardFromAScalarFillsLeafGradients() {
        Tensor x = leaf(1, 2, 3);
        x.mul(x).sum().backward(); // d/dx sum(x^2) = 2x
        assertArrayEquals(new double[]{2, 4, 6}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void backwardWithAGivenGradient() {
        Tensor x = leaf(1, 2, 3);
        x.mul(5).backward(Tensor.fromArray(new double[]{1, 0, -1}));
        assertArrayEquals(new double[]{5, 0, -5}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilCleared() {
        Tensor x = leaf(1, 2);
        x.mul(3).sum().backward();
        x.mul(3).sum().backward();
        assertArrayEquals(new double[]{6, 6}, x.grad().toDoubleArray(), 1e-12);
        x.setGrad(null);
        x.mul(3).sum().backward();
        assertArrayEquals(new double[]{3, 3}, x.grad().toDoubleArray(), 1e-12);
    }

    @Test
    void aGradientSurvivesTheScopeItWasComputedIn() {
        Tensor x = Tensor.fromArray(new double[]{1, 2}).keep().setRequiresGrad(true);
        try (Scope inner = Scope.open()) {
            x.exp().sum().backward();
        }
        assertFalse(x.grad().isClosed());
        assertArrayEquals(new double[]{Math.exp(1), Math.exp(2)}, x.grad().toDoubleArray(), 1e-12);
        Tensor grad = x.grad();
        x.close();
        assertTrue(grad.isClosed(), "the leaf frees the gradient autograd made for it");
    }

    @Test
    void theGraphIsFreedAfterBackwardUnlessRetained() {
        Tensor x = leaf(1, 2);
        Tensor y = x.mul(x).sum();
        y.backward(Tensor.scalar(1, DType.F64), true);
        y.backward(Tensor.scalar(1, DType.F64), false);
        assertArrayEquals(new double[]{4, 8}, x.grad().toDoubleArray(), 1e-12);
        IllegalStateException e = assertThrows(IllegalStateException.class, y::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test
    void noGradRecordsNothingAndDetachCutsHistory() {
        Tensor x = leaf(1, 2);
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor y = x.mul(2);
            assertFalse(y.requiresGrad());
            assertNull(y.gradFn());
        }
        assertTrue(GradMode.isEnabled());
        Tensor d = x.mul(2).detach();
        assertFalse(d.requiresGrad());
        assertTrue(x.mul(2).requiresGrad());
        assertNotNull(x.mul(2).gradFn());
    }

    @Test
    void misuseIsExplained() {
        Tensor x = leaf(1, 2);
        Tensor plain = Tensor.fromArray(new double[]{1, 2});
        IllegalStateException noGraph = assertThrows(IllegalStateException.class, () -> plain.sum().backward());
        assertTrue(noGraph.getMessage().contains("does not require grad"), noGraph.getMessage());
        IllegalArgumentException notScalar = assertThrows(IllegalArgumentException.class, () -> x.mul(2).backward());
        assertTrue(notScalar.getMessage().contains("one-element"), notScalar.getMessage());
        IllegalStateException notLeaf = assertThrows(IllegalStateException.class, () -> x.mul(2).setRequiresGrad(true));
        assertTrue(notLeaf.getMessage().contains("not a leaf"), notLeaf.getMessage());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class, () -> Tensor.arange(3).setRequiresGrad(true));
        assertTrue(ints.getMessage().contains("int64"), ints.getMessage());
        IllegalStateException inPlace = assertThrows(IllegalStateException.class, () -> x.addInPlace(plain));
        assertTrue(inPlace.getMessage().contains("addInPlace") && inPlace.getMessage().contains("noGrad"), inPlace.getMessage());
        IllegalArgumentException badGrad = assertThrows(IllegalArgumentException.class, () -> x.setGrad(Tensor.zeros(DType.F64, 3)));
        assertTrue(badGrad.getMessage().contains("setGrad") && badGrad.getMessage().contains("float64[3]"), badGrad.getMessage());
    }
}
