package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;

import io.ddp4j.tensor.ops.Indexing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Checks backward rules against central finite differences, like torch.autograd.gradcheck. The
 * function's output is reduced with fixed random weights w to L = sum(f(x) * w), so every output
 * element's gradient is checked at once; each input element is moved by +-eps and
 * (L(x + eps) - L(x - eps)) / (2 eps) is compared with the analytic dL/dx. Use F64 inputs.
 * {@link #checkSecondOrder} does the same for the gradient itself, like torch's gradgradcheck.
 */
public final class GradCheck {
    private GradCheck() {}

    /** Compared as |analytic - numeric| &lt;= atol + rtol * |numeric|. */
    public record Tolerance(double eps, double atol, double rtol) {
        public static final Tolerance F64 = new Tolerance(1e-6, 1e-5, 1e-4);
    }

    public static void check(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(what, Tolerance.F64, f, inputs);
    }

    /**
     * Throws AssertionError naming the input and element where the gradients disagree. Inputs are
     * left untouched, with no .grad.
     */
    public static void check(String what, Tolerance tol, Function<Tensor[], Tensor> f, Tensor... inputs) {
        try (Scope scope = Scope.open()) {
            Tensor[] leaves = new Tensor[inputs.length];
            double[][] values = new double[inputs.length][];
            for (int i = 0; i < inputs.length; i++) {
                values[i] = inputs[i].toDoubleArray();
                leaves[i] = leaf(inputs[i], values[i]);
            }
            Tensor out = f.apply(leaves);
            if (out.dtype() != DType.F64) throw new AssertionError(what + ": gradcheck needs an F64 output, got " + out.describe());
            Tensor weights = Tensor.randn(new Generator(20240607L), DType.F64, out.shape());
            Tensor weighted = out.mul(weights).sum();
            if (weighted.requiresGrad()) weighted.backward(); // else f is constant in its inputs: every gradient is 0

            for (int i = 0; i < inputs.length; i++) {
                if (!inputs[i].dtype().isFloatingPoint()) continue;
                double[] analytic = leaves[i].grad() == null ? new double[values[i].length] : leaves[i].grad().toDoubleArray();
                for (int j = 0; j < values[i].length; j++) {
                    double numeric = (weightedOutput(f, inputs, values, i, j, tol.eps(), weights)
                            - weightedOutput(f, inputs, values, i, j, -tol.eps(), weights)) / (2 * tol.eps());
                    if (!(Math.abs(analytic[j] - numeric) <= tol.atol() + tol.rtol() * Math.abs(numeric)))
                        throw new AssertionError(what + ": gradient of input " + i + " " + inputs[i].describe() + " at flat index " + j
                                + " is " + analytic[j] + " by backward but " + numeric + " by finite differences\nanalytic: "
                                + Arrays.toString(analytic));
                }
            }
            for (Tensor leaf : leaves) leaf.setGrad(null);
        }
    }

    public static void checkSecondOrder(String what, Function<Tensor[], Tensor> f, Tensor... inputs) {
        checkSecondOrder(what, Tolerance.F64, f, inputs);
    }

    /**
     * Checks the rules' own backward: x -> dL/dx with L = sum(f(x) * w), computed with createGraph,
     * goes through {@link #check}, so its backward (the second derivatives, contracted with a second
     * set of random weights) is compared with finite differences of the first derivative.
     */
    public static void checkSecondOrder(String what, Tolerance tol, Function<Tensor[], Tensor> f, Tensor... inputs) {
        int[] outShape;
        try (Scope scope = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            outShape = f.apply(inputs).shape();
        }
        check(what + " (second order)", tol, xs -> firstDerivative(f, xs, outShape), inputs);
    }

    /**
     * dL/dx for every floating-point input, flattened into one vector. When the inputs require grad
     * (check's analytic pass) the gradients carry a graph back to them; otherwise (its finite
     * differences) they are computed plainly from leaves made of the inputs.
     */
    private static Tensor firstDerivative(Function<Tensor[], Tensor> f, Tensor[] xs, int[] outShape) {
        boolean withGraph = false;
        for (Tensor x : xs) withGraph |= x.requiresGrad();
        try (GradMode.Guard on = GradMode.enableGrad()) {
            Tensor[] in = xs.clone();
            List<Tensor> differentiated = new ArrayList<>();
            for (int i = 0; i < in.length; i++) {
                if (!in[i].dtype().isFloatingPoint()) continue;
                if (!withGraph) in[i] = in[i].detach().setRequiresGrad(true);
                differentiated.add(in[i]);
            }
            Tensor weights = Tensor.randn(new Generator(77L), DType.F64, outShape);
            Tensor l = f.apply(in).mul(weights).sum();
            Tensor[] grads = Autograd.grad(new Tensor[]{l}, differentiated.toArray(Tensor[]::new), null, withGraph, withGraph, true);
            List<Tensor> flat = new ArrayList<>();
            for (int i = 0; i < grads.length; i++) {
                Tensor gi = grads[i] != null ? grads[i] : differentiated.get(i).zerosLike();
                flat.add(gi.reshape(-1));
            }
            return Indexing.cat(flat, 0);
        }
    }

    private static Tensor leaf(Tensor like, double[] values) {
        Tensor t = Tensor.fromArray(values, like.shape()).to(like.dtype());
        if (like.dtype().isFloatingPoint()) t.setRequiresGrad(true);
        return t;
    }

    private static double weightedOutput(Function<Tensor[], Tensor> f, Tensor[] inputs, double[][] values, int which, int element,
                                         double delta, Tensor weights) {
        try (Scope scope = Scope.open(); GradMode.Guard g = GradMode.noGrad()) {
            Tensor[] moved = new Tensor[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                double[] v = values[i];
                if (i == which) {
                    v = v.clone();
                    v[element] += delta;
                }
                moved[i] = Tensor.fromArray(v, inputs[i].shape()).to(inputs[i].dtype());
            }
            return f.apply(moved).mul(weights).sum().item();
        }
    }
}
