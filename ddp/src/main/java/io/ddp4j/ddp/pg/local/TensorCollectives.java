package io.ddp4j.ddp.pg.local;

import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.autograd.GradMode;

import java.util.List;

/**
 * The local group's collectives over memory that tensor ops reach (device memory of ranks that
 * share one GPU): one rank's thread runs them for all, as tensor ops, so on CUDA they are a few
 * copies and elementwise kernels enqueued on the device's compute stream after the work every rank
 * enqueued there before the collective. Ranks are combined in rank order into a scratch tensor
 * and every rank gets a copy of it, so all ranks hold bit-identical results, and the elementwise
 * math is the host reduction's (F16/BF16 combined in float and rounded each step; AVG a division
 * at the end, a multiply by the exact reciprocal for a power-of-two size). Tensors are flat, one
 * per rank, index = rank; inputs may be the outputs (in place).
 */
final class TensorCollectives {
    private TensorCollectives() {}

    static void allReduce(List<Tensor> ranks, ReduceOp op) {
        try (GradMode.Guard g = GradMode.noGrad(); Tensor acc = combine(ranks, op)) {
            for (Tensor t : ranks) t.copyFrom(acc);
        }
    }

    static void reduce(List<Tensor> ranks, int root, ReduceOp op) {
        try (GradMode.Guard g = GradMode.noGrad(); Tensor acc = combine(ranks, op)) {
            ranks.get(root).copyFrom(acc);
        }
    }

    static void broadcast(List<Tensor> ranks, int root) {
        try (GradMode.Guard g = GradMode.noGrad()) {
            Tensor src = ranks.get(root);
            for (int r = 0; r < ranks.size(); r++) if (r != root) ranks.get(r).copyFrom(src);
        }
    }

    /** Each output (size x n elements) gets every rank's input (n elements) at {@code rank * n}. */
    static void allGather(List<Tensor> outputs, List<Tensor> inputs) {
        int n = (int) inputs.getFirst().numel();
        try (GradMode.Guard g = GradMode.noGrad()) {
            // gather once into rank 0's output (inputs may alias parts of outputs), then copy it out
            try (Tensor all = Tensor.empty(inputs.getFirst().dtype(), inputs.getFirst().device(), n * inputs.size())) {
                for (int r = 0; r < inputs.size(); r++) {
                    try (Tensor part = all.narrow(0, r * n, n)) {
                        part.copyFrom(inputs.get(r));
                    }
                }
                for (Tensor out : outputs) out.copyFrom(all);
            }
        }
    }

    /** Combines the inputs (size x n elements each); rank r's output (n elements) gets part r. */
    static void reduceScatter(List<Tensor> outputs, List<Tensor> inputs, ReduceOp op) {
        int n = (int) outputs.getFirst().numel();
        try (GradMode.Guard g = GradMode.noGrad(); Tensor acc = combine(inputs, op)) {
            for (int r = 0; r < outputs.size(); r++) {
                try (Tensor part = acc.narrow(0, r * n, n)) {
                    outputs.get(r).copyFrom(part);
                }
            }
        }
    }

    /** Ranks combined in rank order into a new tensor; AVG divides at the end. */
    private static Tensor combine(List<Tensor> ranks, ReduceOp op) {
        Tensor first = ranks.getFirst();
        if (!first.dtype().isFloatingPoint()) // the group refuses these before the ranks meet
            throw new IllegalArgumentException("the local group reduces floating-point device memory only, not " + first.dtype());
        Tensor acc = Tensor.empty(first.dtype(), first.device(), (int) first.numel());
        try {
            acc.copyFrom(first);
            for (int r = 1; r < ranks.size(); r++) {
                Tensor x = ranks.get(r);
                switch (op) {
                    case SUM, AVG -> acc.addInPlace(x);
                    case MAX -> replace(acc, acc.maximum(x));
                    case MIN -> replace(acc, acc.minimum(x));
                    case PRODUCT -> replace(acc, acc.mul(x));
                }
            }
            int size = ranks.size();
            if (op == ReduceOp.AVG && size > 1) {
                // x * (1/n) rounds like x / n when 1/n is exact, and costs less
                if (Integer.bitCount(size) == 1) acc.mulInPlace(1.0 / size);
                else replace(acc, acc.div(size));
            }
            return acc;
        } catch (RuntimeException e) {
            acc.close();
            throw e;
        }
    }

    private static void replace(Tensor acc, Tensor value) {
        try (value) {
            acc.copyFrom(value);
        }
    }

}
