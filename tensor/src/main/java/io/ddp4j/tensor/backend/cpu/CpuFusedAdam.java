package io.ddp4j.tensor.backend.cpu;

import io.ddp4j.tensor.backend.MultiTensorUpdates;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Adam and AdamW over a whole param group in one pass per parameter, on dense float32 tensors.
 * The per-tensor path makes 13 to 15 elementwise passes (and 8 to 10 parameter-sized
 * temporaries) for the same update: measured on an MLP 784-2048-256-10's 2.1 M parameters on a
 * 2-core machine (median of 150 steps after 50 to warm up), 46 ms per Adam step against 5 ms here
 * (AdamW: 51 ms against 5 ms). The loop measured no faster with its flag branches taken out, so
 * it stays general; it moves 28 bytes per element, about 12 GB/s at 5 ms.
 *
 * <p>Bit for bit what the per-tensor path ({@code Adam.update}) computes. There, each op is its own
 * elementwise pass that reads float32 operands, computes in double and rounds the result to float;
 * every scalar becomes a float32 tensor first. So here every scalar is rounded to float first
 * (weight decay, 1 - lr * weight_decay, the betas, 1 - beta1, 1 - beta2, eps, and per parameter
 * -lr / bias_correction1 and sqrt(bias_correction2)), and every intermediate is a float, in the
 * per-tensor path's order:
 * <pre>
 * g = maximize ? -grad : grad
 * p = p * (1 - lr * wd)  or  g = g + p * wd      (decoupled or L2 weight decay)
 * m = m * beta1 + g * (1 - beta1)
 * v = v * beta2 + (g * g) * (1 - beta2)
 * p = p + (m / (sqrt(v) / sqrt(bc2) + eps)) * (-lr / bc1)
 * </pre>
 * One float add, multiply or divide in Java is correctly rounded binary32, which for
 * float operands equals the backend's double result rounded to float (double's 53 bits are more
 * than twice float's 24 plus two, so rounding twice never differs from rounding once); the square
 * root is taken in double and rounded, exactly as the backend does. As there, multiplying by an
 * alpha of exactly 1 ({@code addInPlace}'s shortcut) is skipped.
 */
final class CpuFusedAdam {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private CpuFusedAdam() {}

    /** The group-wide hyperparameters, each as the float the per-tensor path multiplies or adds. */
    private record Hyper(boolean maximize, boolean l2, boolean decoupled, float wd, float shrink, float beta1, float keep1,
                         boolean keep1IsOne, float beta2, float keep2, boolean keep2IsOne, float eps) {
        static Hyper of(MultiTensorUpdates.Update u) {
            double[] h = u.hyper();
            long flags = u.flags();
            boolean decay = (flags & MultiTensorUpdates.WEIGHT_DECAY) != 0, decoupled = (flags & MultiTensorUpdates.DECOUPLED) != 0;
            return new Hyper((flags & MultiTensorUpdates.MAXIMIZE) != 0, decay && !decoupled, decay && decoupled,
                    (float) h[0], (float) h[1], (float) h[2], (float) h[3], h[3] == 1, (float) h[4], (float) h[5], h[5] == 1, (float) h[6]);
        }
    }

    static void apply(MultiTensorUpdates.Update u) {
        Hyper h = Hyper.of(u);
        for (MultiTensorUpdates.Entry e : u.tensors()) update(h, e);
    }

    private static void update(Hyper h, MultiTensorUpdates.Entry e) {
        MemorySegment p = CpuAccess.segment(e.param()), g = CpuAccess.segment(e.grad());
        MemorySegment m = CpuAccess.segment(e.state0()), v = CpuAccess.segment(e.state1());
        long po = e.param().offset(), go = e.grad().offset(), mo = e.state0().offset(), vo = e.state1().offset();
        // per parameter: its own step count sets the bias corrections
        float step = (float) e.scalar0(), bc2Sqrt = (float) e.scalar1();
        boolean stepIsOne = e.scalar0() == 1;
        CpuParallel.forRange(e.param().numel(), 1 << 15, (from, to) -> {
            for (long i = from; i < to; i++) {
                float pv = p.getAtIndex(F32, po + i);
                float d = g.getAtIndex(F32, go + i);
                if (h.maximize) d = -d;
                if (h.decoupled) pv = pv * h.shrink;
                else if (h.l2) d = d + pv * h.wd;
                float mv = m.getAtIndex(F32, mo + i) * h.beta1;
                mv = h.keep1IsOne ? mv + d : mv + d * h.keep1;
                float vv = v.getAtIndex(F32, vo + i) * h.beta2;
                float dd = d * d;
                vv = h.keep2IsOne ? vv + dd : vv + dd * h.keep2;
                m.setAtIndex(F32, mo + i, mv);
                v.setAtIndex(F32, vo + i, vv);
                float denom = (float) Math.sqrt(vv) / bc2Sqrt + h.eps;
                float ratio = mv / denom;
                p.setAtIndex(F32, po + i, stepIsOne ? pv + ratio : pv + ratio * step);
            }
        });
    }
}
