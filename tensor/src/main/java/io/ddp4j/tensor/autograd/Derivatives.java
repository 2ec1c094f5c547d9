package io.ddp4j.tensor.autograd;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.RoundingMode;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.backend.UnaryOp;
import io.ddp4j.tensor.ops.Convolution;
import io.ddp4j.tensor.ops.Elementwise;
import io.ddp4j.tensor.ops.Indexing;
import io.ddp4j.tensor.ops.Losses;
import io.ddp4j.tensor.ops.Pooling;
import io.ddp4j.tensor.ops.Reductions;

import java.util.ArrayList;
import java.util.List;

/**
 * The table of backward rules, one per primitive op, in the spirit of tinygrad's gradient.py:
 * each entry takes what the forward saved and turns the output's gradient {@code g} into the
 * inputs' gradients. Composite ops (softmax, var, batch_norm, dropout, stack, embedding) have no
 * entry: their gradients come from the primitives they are written with. Rules compute only
 * the gradients that are needed. They normally run with grad mode off, inside the engine's scope;
 * for higher-order gradients (createGraph) they run with grad mode on, so every rule is written
 * with differentiable ops, and the backward-only ops it calls (conv2d's and the poolings'
 * backward, index_add) record rules of their own. Masks (relu's step, abs's sign, max's winners)
 * are constants: their derivative is zero almost everywhere, as in PyTorch.
 */
public final class Derivatives {
    private Derivatives() {}

    private static Tensor[] grads(Tensor... g) {
        return g;
    }

    private static Tensor unbroadcast(Tensor g, Tensor input) {
        return Reductions.sumToShape(g, input.shape());
    }

    // ---------------------------------------------------------------- elementwise

    /** x is the input, y the output (several rules are cheaper from the output). */
    public static GradFn unary(UnaryOp op, Tensor x, Tensor y) {
        return (g, needs) -> grads(switch (op) {
            case NEG -> g.neg();
            case EXP -> g.mul(y);
            case LOG -> g.div(x);
            case SQRT -> g.div(y.mul(2));
            case ABS -> g.mul(Elementwise.unary(UnaryOp.SIGN, x));
            case RELU -> g.mul(Elementwise.unary(UnaryOp.STEP, x));
            case SIGMOID -> g.mul(y.mul(y.neg().add(1)));
            case TANH -> g.mul(y.mul(y).neg().add(1));
            case GELU -> g.mul(Elementwise.unary(UnaryOp.GELU_DERIVATIVE, x));
            // d/dx (Phi(x) + x phi(x)) = phi(x) (2 - x^2): gelu's second derivative, for higher orders
            case GELU_DERIVATIVE -> g.mul(x.mul(x).mul(-0.5).exp().mul(1 / Math.sqrt(2 * Math.PI)).mul(x.mul(x).neg().add(2)));
            case STEP, SIGN -> throw new IllegalStateException(op + " has no gradient");
        });
    }

    /**
     * Whether {@link #binary}'s rule for {@code op} reads its operands' values. add and sub keep
     * only their shapes, so an op may free operand copies it made (type promotion) at once.
     */
    public static boolean binarySavesOperands(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, DIV_TRUNC, DIV_FLOOR -> false;
            default -> true;
        };
    }

    public static GradFn binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (op == BinaryOp.DIV_TRUNC || op == BinaryOp.DIV_FLOOR) return zeros(a, b); // a step function: PyTorch's gradient is 0
        if (!binarySavesOperands(op)) {
            int[] shapeA = a.shape(), shapeB = b.shape();
            boolean negate = op == BinaryOp.SUB;
            return (g, needs) -> grads(needs[0] ? Reductions.sumToShape(g, shapeA) : null,
                    needs[1] ? Reductions.sumToShape(negate ? g.neg() : g, shapeB) : null);
        }
        return (g, needs) -> {
            Tensor ga = null, gb = null;
            switch (op) {
                case MUL -> {
                    if (needs[0]) ga = unbroadcast(g.mul(b), a);
                    if (needs[1]) gb = unbroadcast(g.mul(a), b);
                }
                case DIV -> {
                    if (needs[0]) ga = unbroadcast(g.div(b), a);
                    if (needs[1]) gb = unbroadcast(g.mul(out).div(b).neg(), b);
                }
                case POW -> {
                    if (needs[0]) ga = unbroadcast(g.mul(b).mul(a.pow(b.sub(1))), a);
                    if (needs[1]) gb = unbroadcast(g.mul(out).mul(a.log()), b);
                }
                case MAXIMUM, MINIMUM -> {
                    // the winner takes the gradient; ties share it equally, as in PyTorch
                    Tensor aWins = (op == BinaryOp.MAXIMUM ? a.gt(b) : a.lt(b)).to(a.dtype()).add(a.eq(b).to(a.dtype()).mul(0.5));
                    if (needs[0]) ga = unbroadcast(g.mul(aWins), a);
                    if (needs[1]) gb = unbroadcast(g.mul(aWins.neg().add(1)), b);
                }
                case REMAINDER, FMOD -> {
                    // x - y * q with q = floor(x / y) or trunc(x / y), piecewise constant
                    if (needs[0]) ga = unbroadcast(g, a);
                    // q is not closed here: with createGraph the product's node keeps it
                    if (needs[1]) gb = unbroadcast(g.mul(a.div(b, op == BinaryOp.REMAINDER ? RoundingMode.FLOOR : RoundingMode.TRUNC)).neg(), b);
                }
                default -> throw new IllegalStateException(op + " has no gradient");
            }
            return grads(ga, gb);
        };
    }

    /** Zero gradients shaped like a and b, keeping only their shapes. */
    private static GradFn zeros(Tensor a, Tensor b) {
        int[] shapeA = a.shape(), shapeB = b.shape();
        return (g, needs) -> grads(needs[0] ? Tensor.zeros(g.dtype(), g.device(), shapeA) : null,
                needs[1] ? Tensor.zeros(g.dtype(), g.device(), shapeB) : null);
    }

    /** a op value for a constant value. */
    public static GradFn binaryScalar(BinaryOp op, Tensor a, double value, Tensor out) {
        return (g, needs) -> grads(switch (op) {
            case ADD, SUB -> g;
            case MUL -> g.mul(value);
            case DIV -> g.div(value);
            case POW -> g.mul(a.pow(value - 1)).mul(value);
            case DIV_TRUNC, DIV_FLOOR -> Tensor.zeros(g.dtype(), g.device(), g.shape());
            case REMAINDER, FMOD -> g;
            case MAXIMUM -> g.mul(a.gt(value).to(a.dtype()).add(a.eq(value).to(a.dtype()).mul(0.5)));
            case MINIMUM -> g.mul(a.lt(value).to(a.dtype()).add(a.eq(value).to(a.dtype()).mul(0.5)));
            default -> throw new IllegalStateException(op + " has no gradient");
        });
    }

    /** Keeps the condition and only the shapes of {@code a} and {@code b}. */
    public static GradFn where(Tensor cond, Tensor a, Tensor b) {
        int[] shapeA = a.shape(), shapeB = b.shape();
        return (g, needs) -> {
            Tensor zero = Tensor.zeros(g.dtype(), g.device());
            Tensor ga = needs[0] ? Reductions.sumToShape(Tensor.where(cond, g, zero), shapeA) : null;
            Tensor gb = needs[1] ? Reductions.sumToShape(Tensor.where(cond, zero, g), shapeB) : null;
            return grads(ga, gb);
        };
    }

    /** Gradient passes where min &lt;= x &lt;= max. */
    public static GradFn clamp(Tensor x, double min, double max) {
        return (g, needs) -> grads(g.mul(x.ge(min).to(g.dtype()).mul(x.le(max).to(g.dtype()))));
    }

    public static GradFn cast(DType from) {
        return (g, needs) -> grads(g.to(from));
    }

    public static GradFn toDevice(Device from) {
        return (g, needs) -> grads(g.to(from));
    }

    // ---------------------------------------------------------------- views

    public static GradFn identity() {
        return (g, needs) -> grads(g);
    }

    /** reshape, view, squeeze, unsqueeze, flatten: the gradient takes the input's shape back. */
    public static GradFn reshape(int[] inputShape) {
        return (g, needs) -> grads(g.reshape(inputShape));
    }

    public static GradFn transpose(int dim0, int dim1) {
        return (g, needs) -> grads(g.transpose(dim0, dim1));
    }

    public static GradFn permute(int[] inverse) {
        return (g, needs) -> grads(g.permute(inverse));
    }

    /** g put back in place among zeros, as a cat (differentiable in g, for higher orders). */
    public static GradFn narrow(int[] inputShape, int dim, int start) {
        return (g, needs) -> grads(padWithZeros(g, dim, start, inputShape[dim] - start - g.shape()[dim]));
    }

    /** g with {@code before} and {@code after} zero slices around it along dim. */
    private static Tensor padWithZeros(Tensor g, int dim, int before, int after) {
        List<Tensor> parts = new ArrayList<>();
        int[] shape = g.shape();
        if (before > 0) {
            shape[dim] = before;
            parts.add(Tensor.zeros(g.dtype(), g.device(), shape));
        }
        parts.add(g);
        if (after > 0) {
            shape[dim] = after;
            parts.add(Tensor.zeros(g.dtype(), g.device(), shape));
        }
        return parts.size() == 1 ? g : Indexing.cat(parts, dim);
    }

    public static GradFn expand(int[] inputShape) {
        return (g, needs) -> grads(Reductions.sumToShape(g, inputShape));
    }

    // ---------------------------------------------------------------- reductions

    /** sum (scale 1) and mean (scale 1/n): spread g back over the reduced dims. */
    public static GradFn sum(int[] inputShape, int[] dims, double scale) {
        return (g, needs) -> {
            int[] keep = inputShape.clone();
            for (int d : dims) keep[d] = 1;
            Tensor spread = g.reshape(keep).expand(inputShape);
            return grads(scale == 1 ? spread : spread.mul(scale));
        };
    }

    /**
     * The maxima share the gradient evenly (PyTorch's amax). A slice holding NaN has NaN for its
     * maximum, which equals nothing: there its NaNs are the maxima, as in PyTorch's max().
     */
    public static GradFn max(Tensor x, int[] dims, Tensor out) {
        return (g, needs) -> {
            int[] keep = x.shape();
            for (int d : dims) keep[d] = 1;
            Tensor isMax = x.eq(out.reshape(keep)).logicalOr(x.ne(x)).to(x.dtype());
            Tensor share = isMax.div(isMax.sum(dims, true));
            return grads(share.mul(g.reshape(keep)));
        };
    }

    // ---------------------------------------------------------------- linear algebra

    public static GradFn matmul(Tensor a, Tensor b) {
        return (g, needs) -> {
            // see vectors as matrices again, as the forward did
            Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
            Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
            Tensor g2 = g;
            if (a.dim() == 1) g2 = g2.unsqueeze(b.dim() == 1 ? g2.dim() : g2.dim() - 1);
            if (b.dim() == 1) g2 = g2.unsqueeze(g2.dim());
            Tensor ga = needs[0] ? Reductions.sumToShape(g2.matmul(b2.transpose(-1, -2)), a2.shape()).reshape(a.shape()) : null;
            Tensor gb = needs[1] ? Reductions.sumToShape(a2.transpose(-1, -2).matmul(g2), b2.shape()).reshape(b.shape()) : null;
            return grads(ga, gb);
        };
    }

    /** y = x W^T + b: dx = g W, dW = g^T x (over all rows), db = sum of g's rows. */
    public static GradFn linear(Tensor x, Tensor weight, boolean hasBias) {
        return (g, needs) -> {
            int in = weight.shape()[1], out = weight.shape()[0];
            Tensor g2 = g.reshape(-1, out);
            Tensor gx = needs[0] ? g2.matmul(weight).reshape(x.shape()) : null;
            Tensor gw = needs[1] ? g2.t().matmul(x.reshape(-1, in)) : null;
            Tensor gb = hasBias && needs[2] ? g2.sum(0, false) : null;
            return grads(gx, gw, gb);
        };
    }

    // ---------------------------------------------------------------- nn

    /*
     * conv2d, its backward to the input and its backward to the weight are the three partial
     * derivatives of one trilinear form <conv2d(x, w), g>, so each one's rule is made of the
     * other two (and conv2d itself): that is what makes convolutions differentiable to any order.
     */

    public static GradFn conv2d(Tensor x, Tensor weight, boolean hasBias, Conv2dParams p) {
        return (g, needs) -> grads(
                needs[0] ? Convolution.backwardInput(g, weight, x.shape(), p) : null,
                needs[1] ? Convolution.backwardWeight(x, g, weight.shape(), p) : null,
                hasBias && needs[2] ? g.sum(new int[]{0, 2, 3}, false) : null);
    }

    /** gx = backwardInput(g, w), x-shaped; u is gx's gradient. */
    public static GradFn conv2dBackwardInput(Tensor g, Tensor weight, Conv2dParams p) {
        return (u, needs) -> grads(
                needs[0] ? Convolution.conv2d(u, weight, null, p) : null,
                needs[1] ? Convolution.backwardWeight(u, g, weight.shape(), p) : null);
    }

    /** gw = backwardWeight(x, g), w-shaped; v is gw's gradient. */
    public static GradFn conv2dBackwardWeight(Tensor x, Tensor g, Conv2dParams p) {
        return (v, needs) -> grads(
                needs[0] ? Convolution.backwardInput(g, v, x.shape(), p) : null,
                needs[1] ? Convolution.conv2d(x, v, null, p) : null);
    }

    public static GradFn maxPool2d(Tensor indices, int[] inputShape, Pool2dParams p) {
        return (g, needs) -> grads(Pooling.maxPool2dBackward(g, indices, inputShape, p));
    }

    /** max_pool2d's backward scatters g to the winners; its own gradient gathers from them. */
    public static GradFn maxPool2dBackward(Tensor indices) {
        return (u, needs) -> grads(Pooling.gatherWinners(u, indices));
    }

    public static GradFn avgPool2d(int[] inputShape, Pool2dParams p) {
        return (g, needs) -> grads(Pooling.avgPool2dBackward(g, inputShape, p));
    }

    /** avg_pool2d is linear, and its backward is its adjoint, whose adjoint is avg_pool2d again. */
    public static GradFn avgPool2dBackward(Pool2dParams p) {
        return (u, needs) -> grads(Pooling.avgPool2d(u, p));
    }

    /**
     * The fused kernel turns the saved probabilities into (p - target distribution) * g / N; for a
     * higher order the same is written with differentiable ops from the logits.
     */
    public static GradFn crossEntropy(Tensor logits, Tensor probs, Tensor targets, double labelSmoothing) {
        return (g, needs) -> grads(GradMode.isEnabled()
                ? Losses.crossEntropyBackwardDifferentiable(logits, targets, labelSmoothing, g)
                : Losses.crossEntropyBackward(probs, targets, labelSmoothing, g));
    }

    public static GradFn indexSelect(int[] inputShape, int dim, Tensor index) {
        return (g, needs) -> grads(Indexing.indexAddToZeros(inputShape, dim, index, g));
    }

    /** index_add into zeros is index_select's adjoint, and the other way round. */
    public static GradFn indexAddToZeros(int dim, Tensor index) {
        return (u, needs) -> grads(Indexing.indexSelect(u, dim, index));
    }

    /** Each input gets its own slice of g along dim. */
    public static GradFn cat(int dim, int[] sizes) {
        return (g, needs) -> {
            Tensor[] out = new Tensor[sizes.length];
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (needs[i]) out[i] = g.narrow(dim, at, sizes[i]);
                at += sizes[i];
            }
            return out;
        };
    }
}
