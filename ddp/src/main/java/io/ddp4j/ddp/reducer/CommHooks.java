package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

import java.util.concurrent.CompletableFuture;

/**
 * The built-in communication hooks: PyTorch's default all-reduce, and its bf16 and fp16
 * compression hooks ({@code torch.distributed.algorithms.ddp_comm_hooks.default_hooks}).
 */
public final class CommHooks {
    private CommHooks() {}

    /** Averages the bucket with one all-reduce: a sum, divided by {@link CommContext#divisor()} after. */
    public static CommHook allReduce() {
        return new CommHook() {
            @Override
            public CompletableFuture<Void> reduce(CommContext ctx, GradBucket bucket) {
                int divisor = ctx.divisor();
                if (divisor == ctx.group().size()) return ctx.after(bucket.buffer().allReduce(ctx.group(), ReduceOp.AVG), null);
                Work w = bucket.buffer().allReduce(ctx.group(), ReduceOp.SUM);
                return ctx.after(w, () -> scale(bucket.flat(), 1.0 / divisor));
            }

            @Override
            public String name() {
                return "allreduce";
            }
        };
    }

    /**
     * Divides the bucket by the divisor, rounds it to bfloat16, all-reduces the half-size copy and
     * widens the result back into the bucket: half the bytes on the wire, about three significant
     * digits per element (bfloat16 keeps 8 bits of mantissa; the sum is rounded after each step).
     */
    public static CommHook bf16Compress() {
        return compress(DType.BF16, "bf16_compress");
    }

    /** As {@link #bf16Compress()} with float16: more mantissa (11 bits), less range (dividing first keeps sums in it). */
    public static CommHook fp16Compress() {
        return compress(DType.F16, "fp16_compress");
    }

    private static CommHook compress(DType wire, String name) {
        return new CommHook() {
            @Override
            public CompletableFuture<Void> reduce(CommContext ctx, GradBucket bucket) {
                BucketBuffer full = bucket.buffer();
                BucketBuffer half = ctx.scratch(name, bucket.index(), wire, full.device(), full.numel());
                scale(full.flat(), 1.0 / ctx.divisor());
                try (GradMode.Guard g = GradMode.noGrad()) {
                    half.flat().copyFrom(full.flat());
                }
                Work w = half.allReduce(ctx.group(), ReduceOp.SUM);
                return ctx.after(w, () -> {
                    try (GradMode.Guard g = GradMode.noGrad()) {
                        full.flat().copyFrom(half.flat());
                    }
                });
            }

            @Override
            public String name() {
                return name;
            }
        };
    }

    static void scale(Tensor t, double factor) {
        if (factor == 1) return;
        try (GradMode.Guard g = GradMode.noGrad()) {
            t.mulInPlace(factor);
        }
    }
}
