package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CpuReference.assertClose;
import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.ddp4j.bindings.CudnnException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every algorithm cuDNN offers for a pass computes the same convolution: each usable one (full FP32,
 * no tensor cores) runs with the workspace it asks for and matches the CPU reference. A plan picks
 * one algorithm per pass, so without this a wrong descriptor that only some algorithms read, or a
 * workspace size some algorithm gets wrong, would show only on the shapes where it is chosen.
 */
@Tag("gpu")
class ConvolutionAlgorithmsGpuTest {
    private static final double TOLERANCE = 1e-3;

    @BeforeAll
    static void gpu() {
        GpuTests.assumeCudnn();
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(Conv2dShape.of(2, 3, 7, 6, 4, 3, 1, 1, 1, 1)),                    // 3x3, padding 1
                Arguments.of(new Conv2dShape(2, 4, 9, 8, 6, 3, 2, 1, 0, 2, 1, 2, 1, 2)));      // 3x2, stride 2x1, dilation 2x1, groups 2
    }

    private enum Pass { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void everyUsableAlgorithmOfEveryPassMatchesTheCpu(Conv2dShape s) {
        float[] x = CpuReference.random(91, (int) s.inputElements());
        float[] w = CpuReference.random(92, (int) s.filterElements());
        float[] dy = CpuReference.random(93, (int) s.outputElements());
        int[] in = s.inputDims(), f = s.filterDims(), out = s.outputDims();
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             TensorDescriptor xd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, in[0], in[1], in[2], in[3]);
             FilterDescriptor wd = FilterDescriptor.kcrs(CUDNN_DATA_FLOAT, f[0], f[1], f[2], f[3]);
             TensorDescriptor yd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, out[0], out[1], out[2], out[3]);
             ConvolutionDescriptor cd = ConvolutionDescriptor.forShape(s, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH)) {
            long h = handle.address(), xb = mem.upload(x), wb = mem.upload(w), dyb = mem.upload(dy);
            for (Pass pass : Pass.values()) {
                List<ConvolutionAlgoPerf> offered = switch (pass) {
                    case FORWARD -> Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, xd.address(), wd.address(), cd.address(), yd.address(),
                            Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(h));
                    case BACKWARD_DATA -> Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(h, wd.address(), yd.address(), cd.address(), xd.address(),
                            Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h));
                    case BACKWARD_FILTER -> Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, xd.address(), yd.address(), cd.address(), wd.address(),
                            Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h));
                };
                List<Integer> ran = new ArrayList<>();
                for (ConvolutionAlgoPerf p : offered) {
                    if (!p.usable() || p.usesTensorCores()) continue;
                    long bytes;
                    try {
                        bytes = switch (pass) {
                            case FORWARD -> Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, xd.address(), wd.address(), cd.address(), yd.address(), p.algo());
                            case BACKWARD_DATA -> Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, wd.address(), yd.address(), cd.address(), xd.address(), p.algo());
                            case BACKWARD_FILTER -> Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, xd.address(), yd.address(), cd.address(), wd.address(), p.algo());
                        };
                    } catch (CudnnException notForTheseDescriptors) {
                        continue; // listed as usable, yet cuDNN will not size it (Conv2dPlan passes these over too)
                    }
                    // a workspace of exactly the size the algorithm asked for
                    long ws = bytes == 0 ? 0 : mem.junk((int) ((bytes + 3) / 4));
                    long alpha = CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), beta = CudnnScalars.beta(CUDNN_DATA_FLOAT, 0);
                    String what = pass + " algorithm " + p.algo() + " (" + bytes + " B workspace) on " + s;
                    switch (pass) {
                        case FORWARD -> {
                            long y = mem.junk((int) s.outputElements());
                            Cudnn.cudnnConvolutionForward(h, alpha, xd.address(), xb, wd.address(), wb, cd.address(), p.algo(), ws, bytes, beta, yd.address(), y);
                            assertClose(what, CpuReference.conv2dForward(x, w, s), mem.download(y, (int) s.outputElements()), TOLERANCE);
                        }
                        case BACKWARD_DATA -> {
                            long dx = mem.junk((int) s.inputElements());
                            Cudnn.cudnnConvolutionBackwardData(h, alpha, wd.address(), wb, yd.address(), dyb, cd.address(), p.algo(), ws, bytes, beta, xd.address(), dx);
                            assertClose(what, CpuReference.conv2dBackwardData(w, dy, s), mem.download(dx, (int) s.inputElements()), TOLERANCE);
                        }
                        case BACKWARD_FILTER -> {
                            long dw = mem.junk((int) s.filterElements());
                            Cudnn.cudnnConvolutionBackwardFilter(h, alpha, xd.address(), xb, yd.address(), dyb, cd.address(), p.algo(), ws, bytes, beta, wd.address(), dw);
                            assertClose(what, CpuReference.conv2dBackwardFilter(x, dy, s), mem.download(dw, (int) s.filterElements()), TOLERANCE);
                        }
                    }
                    ran.add(p.algo());
                }
                assertFalse(ran.isEmpty(), pass + ": no usable FP32 algorithm among " + offered);
            }
        }
    }
}
