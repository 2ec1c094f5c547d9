package io.ddp4j.examples.train;

import io.ddp4j.ddp.parallel.DataParallel;
import io.ddp4j.ddp.parallel.DistributedDataParallel;
import io.ddp4j.ddp.reducer.ReducerStats;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.amp.Autocast;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Module;
import io.ddp4j.tensor.optim.Optimizer;
import java.util.Optional;

/**
 * One optimisation step, however the run is spread: one process, one rank of a
 * DistributedDataParallel job, or DataParallel replicas in this process. The trainer's loop is the
 * same for all three.
 */
sealed interface StepEngine extends AutoCloseable {

    /** The module to evaluate and checkpoint (this rank's, or replica 0's). */
    Module model();

    /** The optimizer whose state goes into checkpoints (replica 0's for DataParallel). */
    Optimizer optimizer();

    /** Forward, loss, backward and optimizer step on this process's batch; returns the loss. */
    double step(Tensor x, Tensor y);

    /** The reducer's overlap statistics, when there is a reducer. */
    Optional<ReducerStats> stats();

    @Override
    void close();

    CrossEntropyLoss LOSS = new CrossEntropyLoss();

    /** Autocast to bf16/f16 around forward and loss; for f32 a scope with autocast off. */
    static Autocast autocast(DType dtype) {
        return dtype == DType.F32 ? Autocast.disable() : Autocast.enable(dtype);
    }

    /** Forward and loss under the run's precision (fp32 parameters, lower-precision matmuls for bf16). */
    static Tensor forwardLoss(java.util.function.UnaryOperator<Tensor> forward, Tensor x, Tensor y, DType dtype) {
        try (Autocast a = autocast(dtype)) {
            return LOSS.forward(forward.apply(x), y);
        }
    }

    record Single(Module model, Optimizer optimizer, DType dtype) implements StepEngine {
        @Override
        public double step(Tensor x, Tensor y) {
            Tensor loss = forwardLoss(model::forward, x, y, dtype);
            optimizer.zeroGrad();
            loss.backward();
            optimizer.step();
            return loss.item();
        }

        @Override
        public Optional<ReducerStats> stats() {
            return Optional.empty();
        }

        @Override
        public void close() {
            optimizer.close();
            model.close();
        }
    }

    /** One rank: gradients are averaged over the group while backward runs; the optimizer steps the local model. */
    record Ddp(DistributedDataParallel ddp, Optimizer optimizer, DType dtype) implements StepEngine {
        @Override
        public Module model() {
            return ddp.module();
        }

        @Override
        public double step(Tensor x, Tensor y) {
            // gradients stay set (zeroed in place) so they remain views into the reducer's buckets
            optimizer.zeroGrad(false);
            Tensor loss = forwardLoss(ddp::forward, x, y, dtype);
            loss.backward();
            optimizer.step();
            return loss.item();
        }

        @Override
        public Optional<ReducerStats> stats() {
            return Optional.of(ddp.stats());
        }

        @Override
        public void close() {
            ddp.close();
            optimizer.close();
            ddp.module().close();
        }
    }

    /** Replicas on threads of this process; the batch is scattered, every replica's optimizer steps alike. */
    record Replicas(DataParallel dp, DataParallel.ReplicatedOptimizer optimizers) implements StepEngine {
        @Override
        public Module model() {
            return dp.module();
        }

        @Override
        public Optimizer optimizer() {
            return optimizers.primary();
        }

        @Override
        public double step(Tensor x, Tensor y) {
            optimizers.zeroGrad();
            double loss = dp.step(x, y, LOSS::forward).loss();
            optimizers.step();
            return loss;
        }

        @Override
        public Optional<ReducerStats> stats() {
            return Optional.of(dp.stats());
        }

        @Override
        public void close() {
            optimizers.close();
            dp.close();
        }
    }
}
