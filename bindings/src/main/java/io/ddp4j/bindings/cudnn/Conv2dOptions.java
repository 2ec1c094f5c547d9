package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

import java.util.List;
import java.util.stream.Collectors;

/**
 * How a {@link Conv2dPlan} picks its algorithms.
 *
 * @param search              {@link Search#HEURISTIC} asks cuDNN's heuristics (nothing runs, like PyTorch's
 *                            default); {@link Search#EXHAUSTIVE} runs and times every algorithm once
 *                            (PyTorch's {@code cudnn.benchmark = True})
 * @param mathType            {@code CUDNN_FMA_MATH} keeps FP32 convolutions in full FP32 (no TF32 tensor cores);
 *                            {@code CUDNN_DEFAULT_MATH} lets cuDNN use them
 * @param deterministicOnly   only algorithms that give bit-identical results run to run
 * @param workspaceLimitBytes the most workspace one pass may use
 */
public record Conv2dOptions(Search search, int mathType, boolean deterministicOnly, long workspaceLimitBytes) {

    public enum Search { HEURISTIC, EXHAUSTIVE }

    public Conv2dOptions {
        if (search == null) throw new IllegalArgumentException("Conv2dOptions: search must not be null");
        Shapes.requireOneOf("Conv2dOptions", "cudnnMathType_t", mathType, CUDNN_DEFAULT_MATH, CUDNN_FMA_MATH);
        if (workspaceLimitBytes < 0) throw new IllegalArgumentException("Conv2dOptions: workspace limit must not be negative, got " + workspaceLimitBytes);
    }

    /** Heuristic search, cuDNN's default math, any algorithm, any workspace. */
    public static Conv2dOptions defaults() {
        return new Conv2dOptions(Search.HEURISTIC, CUDNN_DEFAULT_MATH, false, Long.MAX_VALUE);
    }

    public Conv2dOptions withSearch(Search s) {
        return new Conv2dOptions(s, mathType, deterministicOnly, workspaceLimitBytes);
    }

    public Conv2dOptions withMathType(int m) {
        return new Conv2dOptions(search, m, deterministicOnly, workspaceLimitBytes);
    }

    public Conv2dOptions withDeterministicOnly(boolean d) {
        return new Conv2dOptions(search, mathType, d, workspaceLimitBytes);
    }

    public Conv2dOptions withWorkspaceLimit(long bytes) {
        return new Conv2dOptions(search, mathType, deterministicOnly, bytes);
    }

    /** Whether {@code perf} may be used under these options. */
    public boolean accepts(ConvolutionAlgoPerf perf) {
        if (!perf.usable()) return false;
        if (mathType == CUDNN_FMA_MATH && perf.usesTensorCores()) return false;
        if (deterministicOnly && !perf.deterministic()) return false;
        return perf.memory() <= workspaceLimitBytes;
    }

    /**
     * The math type to set on the descriptor that runs {@code perf}: the one cuDNN reported for it
     * (cuDNN needs algorithm and math type to agree), except that an FMA-only request stays FMA
     * even if cuDNN reported the default, so TF32 can never slip in.
     */
    public int mathTypeFor(ConvolutionAlgoPerf perf) {
        return mathType == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : perf.mathType();
    }

    /**
     * The first acceptable entry of a search result (cuDNN lists the best first).
     *
     * @throws IllegalStateException naming the pass, the options and every candidate, when none fits
     */
    public ConvolutionAlgoPerf pick(String pass, List<ConvolutionAlgoPerf> ranked) {
        for (ConvolutionAlgoPerf p : ranked) if (accepts(p)) return p;
        String listed = ranked.isEmpty() ? "cuDNN proposed none"
                : ranked.stream().map(p -> "algo " + p.algo() + " (" + CudnnErrors.name(p.status()) + ", " + p.memory() + " B workspace, math "
                        + p.mathType() + (p.deterministic() ? ", deterministic" : "") + ")").collect(Collectors.joining("; "));
        throw new IllegalStateException("no cuDNN " + pass + " algorithm fits " + this + ": " + listed);
    }
}
