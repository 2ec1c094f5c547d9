package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing among search results, as Conv2dPlan does after each search. */
class Conv2dOptionsTest {

    private static ConvolutionAlgoPerf perf(int algo, int status, long memory, int determinism, int mathType) {
        return new ConvolutionAlgoPerf(algo, status, 1f, memory, determinism, mathType);
    }

    private static final List<ConvolutionAlgoPerf> RANKED = List.of(
            perf(6, CUDNN_STATUS_NOT_SUPPORTED, 0, CUDNN_DETERMINISTIC, CUDNN_DEFAULT_MATH),
            perf(1, CUDNN_STATUS_SUCCESS, 1 << 20, CUDNN_NON_DETERMINISTIC, CUDNN_TENSOR_OP_MATH),
            perf(0, CUDNN_STATUS_SUCCESS, 4096, CUDNN_NON_DETERMINISTIC, CUDNN_FMA_MATH),
            perf(2, CUDNN_STATUS_SUCCESS, 1 << 16, CUDNN_DETERMINISTIC, CUDNN_FMA_MATH));

    @Test
    void takesTheBestUsableByDefault() {
        assertEquals(1, Conv2dOptions.defaults().pick("forward", RANKED).algo());
    }

    @Test
    void fmaOnlySkipsTensorCores() {
        Conv2dOptions fma = Conv2dOptions.defaults().withMathType(CUDNN_FMA_MATH);
        assertEquals(0, fma.pick("forward", RANKED).algo());
        // and keeps the descriptor on FMA even when cuDNN reported the default math type
        assertEquals(CUDNN_FMA_MATH, fma.mathTypeFor(perf(0, 0, 0, 0, CUDNN_DEFAULT_MATH)));
        assertEquals(CUDNN_TENSOR_OP_MATH, Conv2dOptions.defaults().mathTypeFor(perf(0, 0, 0, 0, CUDNN_TENSOR_OP_MATH)));
    }

    @Test
    void deterministicOnlyAndWorkspaceLimit() {
        assertEquals(2, Conv2dOptions.defaults().withDeterministicOnly(true).pick("backward-filter", RANKED).algo());
        assertEquals(0, Conv2dOptions.defaults().withWorkspaceLimit(8192).pick("forward", RANKED).algo());
    }

    @Test
    void nothingFittingNamesPassOptionsAndCandidates() {
        Conv2dOptions strict = Conv2dOptions.defaults().withDeterministicOnly(true).withWorkspaceLimit(0);
        var e = assertThrows(IllegalStateException.class, () -> strict.pick("backward-data", RANKED));
        assertTrue(e.getMessage().startsWith("no cuDNN backward-data algorithm fits Conv2dOptions["), e.getMessage());
        assertTrue(e.getMessage().contains("algo 6 (CUDNN_STATUS_NOT_SUPPORTED"), e.getMessage());
        assertTrue(e.getMessage().contains("algo 2 (CUDNN_STATUS_SUCCESS, 65536 B workspace"), e.getMessage());
        var none = assertThrows(IllegalStateException.class, () -> Conv2dOptions.defaults().pick("forward", List.of()));
        assertTrue(none.getMessage().endsWith("cuDNN proposed none"), none.getMessage());
    }

    @Test
    void badOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Conv2dOptions.defaults().withMathType(7));
        assertThrows(IllegalArgumentException.class, () -> Conv2dOptions.defaults().withWorkspaceLimit(-1));
        assertThrows(IllegalArgumentException.class, () -> Conv2dOptions.defaults().withSearch(null));
    }
}
