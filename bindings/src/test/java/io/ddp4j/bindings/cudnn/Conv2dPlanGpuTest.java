package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CpuReference.assertClose;
import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv2dPlan's three passes against the CPU reference. FMA math keeps cuDNN in full FP32 (no TF32),
 * so a small tolerance holds; a wrong index or a wrong descriptor gives errors of order 1.
 */
@Tag("gpu")
class Conv2dPlanGpuTest {
    private static final double TOLERANCE = 1e-3;

    @BeforeAll
    static void gpu() {
        GpuTests.assumeCudnn();
    }

    static Stream<Arguments> cases() {
        Conv2dShape same = Conv2dShape.of(2, 3, 6, 6, 4, 3, 1, 1, 1, 1);          // 3x3, padding 1, stride 1
        Conv2dShape stridedGrouped = Conv2dShape.of(2, 4, 7, 7, 6, 3, 1, 2, 1, 2); // stride 2, groups 2
        return Stream.of(
                Arguments.of(same, Conv2dOptions.Search.HEURISTIC),
                Arguments.of(same, Conv2dOptions.Search.EXHAUSTIVE),
                Arguments.of(stridedGrouped, Conv2dOptions.Search.HEURISTIC),
                Arguments.of(stridedGrouped, Conv2dOptions.Search.EXHAUSTIVE));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("cases")
    void threePassesMatchTheCpu(Conv2dShape s, Conv2dOptions.Search search) {
        float[] x = CpuReference.random(21, (int) s.inputElements());
        float[] w = CpuReference.random(22, (int) s.filterElements());
        float[] dy = CpuReference.random(23, (int) s.outputElements());
        Conv2dOptions options = Conv2dOptions.defaults().withSearch(search).withMathType(CUDNN_FMA_MATH);
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             Conv2dPlan plan = Conv2dPlan.create(handle, s, CUDNN_DATA_FLOAT, options)) {
            assertFalse(plan.forwardAlgorithm().usesTensorCores(), plan.toString());
            assertArrayEquals(s.outputDims(), plan.outputDescriptor().dims());
            long dx = mem.junk((int) s.inputElements()), dwBuf = mem.junk((int) s.filterElements()), y = mem.junk((int) s.outputElements());
            long xBuf = mem.upload(x), wBuf = mem.upload(w), dyBuf = mem.upload(dy);

            plan.forward(0, xBuf, wBuf, y);
            plan.backwardData(0, wBuf, dyBuf, dx);
            plan.backwardFilter(0, xBuf, dyBuf, dwBuf);

            assertClose("y", CpuReference.conv2dForward(x, w, s), mem.download(y, (int) s.outputElements()), TOLERANCE);
            assertClose("dx", CpuReference.conv2dBackwardData(w, dy, s), mem.download(dx, (int) s.inputElements()), TOLERANCE);
            assertClose("dw", CpuReference.conv2dBackwardFilter(x, dy, s), mem.download(dwBuf, (int) s.filterElements()), TOLERANCE);
        }
    }

    @Test
    void betaAccumulatesAndBiasGradientSumsChannels() {
        Conv2dShape s = Conv2dShape.of(2, 3, 5, 5, 4, 3, 1, 1, 1, 1);
        float[] x = CpuReference.random(31, (int) s.inputElements());
        float[] w = CpuReference.random(32, (int) s.filterElements());
        float[] dy = CpuReference.random(33, (int) s.outputElements());
        float[] y0 = CpuReference.random(34, (int) s.outputElements());
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             Conv2dPlan plan = Conv2dPlan.create(handle, s, CUDNN_DATA_FLOAT, Conv2dOptions.defaults().withMathType(CUDNN_FMA_MATH))) {
            long xBuf = mem.upload(x), wBuf = mem.upload(w), dyBuf = mem.upload(dy), y = mem.upload(y0);
            // y = 2 conv(x, w) + 1 y0
            plan.forward(0, xBuf, wBuf, y, 2.0, 1.0);
            float[] conv = CpuReference.conv2dForward(x, w, s), expected = new float[conv.length];
            for (int i = 0; i < conv.length; i++) expected[i] = 2 * conv[i] + y0[i];
            assertClose("2 conv + y0", expected, mem.download(y, conv.length), TOLERANCE);

            // a second backwardFilter with beta = 1 doubles the gradient: accumulation, as autograd needs
            long dw = mem.junk((int) s.filterElements());
            plan.backwardFilter(0, xBuf, dyBuf, dw);
            plan.backwardFilter(0, xBuf, dyBuf, dw, 1.0, 1.0);
            float[] once = CpuReference.conv2dBackwardFilter(x, dy, s), twice = new float[once.length];
            for (int i = 0; i < once.length; i++) twice[i] = 2 * once[i];
            assertClose("accumulated dw", twice, mem.download(dw, once.length), TOLERANCE);

            long db = mem.junk(s.outChannels());
            plan.backwardBias(0, dyBuf, db);
            assertClose("db", CpuReference.channelSums(dy, s.batch(), s.outChannels(), s.outHeight(), s.outWidth()),
                    mem.download(db, s.outChannels()), TOLERANCE);
        }
    }

    @Test
    void aPlanWithoutItsOwnWorkspaceRunsOnTheCallersAndRefusesNone() {
        // 5x5 filters over 16 channels: an input big enough that the chosen algorithms want a workspace
        Conv2dShape s = Conv2dShape.of(4, 16, 12, 12, 16, 5, 2, 1, 1, 1);
        float[] x = CpuReference.random(51, (int) s.inputElements());
        float[] w = CpuReference.random(52, (int) s.filterElements());
        float[] dy = CpuReference.random(53, (int) s.outputElements());
        Conv2dOptions options = Conv2dOptions.defaults().withMathType(CUDNN_FMA_MATH);
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             Conv2dPlan plan = Conv2dPlan.createWithoutWorkspace(handle, s, CUDNN_DATA_FLOAT, options)) {
            long xBuf = mem.upload(x), wBuf = mem.upload(w), dyBuf = mem.upload(dy);
            long y = mem.junk((int) s.outputElements()), dx = mem.junk((int) s.inputElements()), dw = mem.junk((int) s.filterElements());
            long ws = plan.workspaceBytes() == 0 ? 0 : mem.allocate((int) ((plan.workspaceBytes() + 3) / 4));
            plan.forward(0, xBuf, wBuf, y, 1, 0, ws);
            plan.backwardData(0, wBuf, dyBuf, dx, 1, 0, ws);
            plan.backwardFilter(0, xBuf, dyBuf, dw, 1, 0, ws);
            assertClose("y", CpuReference.conv2dForward(x, w, s), mem.download(y, (int) s.outputElements()), TOLERANCE);
            assertClose("dx", CpuReference.conv2dBackwardData(w, dy, s), mem.download(dx, (int) s.inputElements()), TOLERANCE);
            assertClose("dw", CpuReference.conv2dBackwardFilter(x, dy, s), mem.download(dw, (int) s.filterElements()), TOLERANCE);
            if (plan.workspaceBytes() > 0) {
                var e = assertThrows(IllegalStateException.class, () -> plan.forward(0, xBuf, wBuf, y));
                assertTrue(e.getMessage().contains("without a workspace"), e.getMessage());
                var n = assertThrows(IllegalArgumentException.class, () -> plan.forward(0, xBuf, wBuf, y, 1, 0, 0));
                assertTrue(n.getMessage().contains("needs a workspace of " + plan.workspaceBytes()), n.getMessage());
            }
        }
    }

    @Test
    void closedPlanRefusesWorkAndClosesOnce() {
        Conv2dShape s = Conv2dShape.of(1, 1, 4, 4, 1, 3, 1, 1, 1, 1);
        try (CudnnHandle handle = CudnnHandle.create(); DeviceBuffers mem = new DeviceBuffers()) {
            Conv2dPlan plan = Conv2dPlan.create(handle, s, CUDNN_DATA_FLOAT, Conv2dOptions.defaults());
            assertTrue(plan.workspaceBytes() >= 0);
            long buf = mem.junk(16);
            plan.close();
            plan.close();
            assertTrue(plan.inputDescriptor().isClosed());
            var e = assertThrows(IllegalStateException.class, () -> plan.forward(0, buf, buf, buf));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertFalse(handle.isClosed(), "the plan borrows the handle, it does not close it");
        }
    }

    @Test
    void findExSearchesOnTheCallersBuffers() {
        Conv2dShape s = Conv2dShape.of(2, 3, 6, 6, 4, 3, 1, 1, 1, 1);
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             TensorDescriptor xd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 2, 3, 6, 6);
             FilterDescriptor wd = FilterDescriptor.kcrs(CUDNN_DATA_FLOAT, 4, 3, 3, 3);
             TensorDescriptor yd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 2, 4, 6, 6);
             ConvolutionDescriptor cd = ConvolutionDescriptor.forShape(s, CUDNN_DATA_FLOAT, CUDNN_DEFAULT_MATH)) {
            assertArrayEquals(new int[] {2, 4, 6, 6}, cd.outputDims(xd, wd));
            long h = handle.address();
            int max = Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h);
            assertTrue(max >= 1 && max <= 64, "max count " + max);
            long x = mem.upload(CpuReference.random(41, 216)), w = mem.upload(CpuReference.random(42, 108)), y = mem.junk(288);
            int workspaceFloats = 1 << 20; // 4 MiB is plenty for this size
            long ws = mem.allocate(workspaceFloats);
            List<ConvolutionAlgoPerf> found = Cudnn.cudnnFindConvolutionForwardAlgorithmEx(h, xd.address(), x, wd.address(), w, cd.address(), yd.address(), y,
                    max, ws, 4L * workspaceFloats);
            assertFalse(found.isEmpty());
            assertTrue(found.size() <= max);
            ConvolutionAlgoPerf best = found.stream().filter(ConvolutionAlgoPerf::usable).findFirst().orElseThrow();
            assertTrue(best.algo() >= 0 && best.algo() < CUDNN_CONVOLUTION_FWD_ALGO_COUNT, best.toString());
            assertTrue(best.timeMs() >= 0, best.toString());
            List<ConvolutionAlgoPerf> heuristic = Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, xd.address(), wd.address(), cd.address(), yd.address(), max);
            assertTrue(heuristic.stream().anyMatch(ConvolutionAlgoPerf::usable), heuristic.toString());
            long bytes = Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, xd.address(), wd.address(), cd.address(), yd.address(), best.algo());
            assertTrue(bytes >= 0);
        }
    }
}
