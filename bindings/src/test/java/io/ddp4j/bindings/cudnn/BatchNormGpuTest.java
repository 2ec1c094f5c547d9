package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CpuReference.assertClose;
import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Spatial batch norm (BatchNorm2d): training forward with its saved statistics and running-stat
 * update, backward, and inference, against the CPU reference.
 */
@Tag("gpu")
class BatchNormGpuTest {
    private static final int N = 4, C = 3, H = 5, W = 5, COUNT = N * C * H * W;
    private static final double MOMENTUM = 0.1, EPS = 1e-5, TOLERANCE = 1e-3;
    private static final int F = CUDNN_DATA_FLOAT;

    @BeforeAll
    static void gpu() {
        GpuTests.assumeCudnn();
    }

    /** Input with a different mean and spread per channel, so a channel mix-up shows. */
    private static float[] input() {
        float[] x = CpuReference.random(71, COUNT);
        for (int b = 0; b < N; b++)
            for (int ch = 0; ch < C; ch++)
                for (int i = 0; i < H * W; i++) {
                    int at = (b * C + ch) * H * W + i;
                    x[at] = x[at] * (1 + ch) + 0.5f * ch - 0.3f;
                }
        return x;
    }

    private static final float[] GAMMA = {1.2f, 0.8f, -0.5f}, BETA = {0.1f, -0.2f, 0.3f};
    private static final float[] RUNNING_MEAN = {0.05f, -0.1f, 0.2f}, RUNNING_VAR = {1.0f, 0.9f, 1.3f};

    @Test
    void trainingForwardAndBackward() {
        float[] x = input(), dy = CpuReference.random(72, COUNT);
        var fwd = CpuReference.batchNormTrainingForward(x, N, C, H, W, GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR, MOMENTUM, EPS);
        var bwd = CpuReference.batchNormBackward(x, dy, N, C, H, W, GAMMA, fwd.saveMean(), fwd.saveInvStd());
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             TensorDescriptor xd = TensorDescriptor.nchw(F, N, C, H, W);
             TensorDescriptor bn = TensorDescriptor.batchNormParameters(xd, CUDNN_BATCHNORM_SPATIAL)) {
            assertArrayEquals(new int[] {1, C, 1, 1}, bn.dims());
            assertEquals(F, bn.dataType());
            long xb = mem.upload(x), dyb = mem.upload(dy), gamma = mem.upload(GAMMA), beta = mem.upload(BETA);
            long runMean = mem.upload(RUNNING_MEAN), runVar = mem.upload(RUNNING_VAR);
            long y = mem.junk(COUNT), saveMean = mem.junk(C), saveInvStd = mem.junk(C);
            long dx = mem.junk(COUNT), dGamma = mem.junk(C), dBeta = mem.junk(C);
            long h = handle.address();

            Cudnn.cudnnBatchNormalizationForwardTraining(h, CUDNN_BATCHNORM_SPATIAL, CudnnScalars.alpha(F, 1), CudnnScalars.beta(F, 0),
                    xd.address(), xb, xd.address(), y, bn.address(), gamma, beta, MOMENTUM, runMean, runVar, EPS, saveMean, saveInvStd);
            assertClose("y", fwd.y(), mem.download(y, COUNT), TOLERANCE);
            assertClose("saved mean", fwd.saveMean(), mem.download(saveMean, C), TOLERANCE);
            assertClose("saved 1/std", fwd.saveInvStd(), mem.download(saveInvStd, C), TOLERANCE);
            assertClose("running mean", fwd.runningMean(), mem.download(runMean, C), TOLERANCE);
            assertClose("running var (unbiased)", fwd.runningVar(), mem.download(runVar, C), TOLERANCE);

            Cudnn.cudnnBatchNormalizationBackward(h, CUDNN_BATCHNORM_SPATIAL,
                    CudnnScalars.slot(0, F, 1), CudnnScalars.slot(1, F, 0), CudnnScalars.slot(2, F, 1), CudnnScalars.slot(3, F, 0),
                    xd.address(), xb, xd.address(), dyb, xd.address(), dx, bn.address(), gamma, dGamma, dBeta, EPS, saveMean, saveInvStd);
            assertClose("dx", bwd.dx(), mem.download(dx, COUNT), TOLERANCE);
            assertClose("dgamma", bwd.dGamma(), mem.download(dGamma, C), TOLERANCE);
            assertClose("dbeta", bwd.dBeta(), mem.download(dBeta, C), TOLERANCE);
        }
    }

    @Test
    void inferenceUsesTheRunningStatistics() {
        float[] x = input();
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             TensorDescriptor xd = TensorDescriptor.nchw(F, N, C, H, W);
             TensorDescriptor bn = TensorDescriptor.batchNormParameters(xd, CUDNN_BATCHNORM_SPATIAL)) {
            long xb = mem.upload(x), gamma = mem.upload(GAMMA), beta = mem.upload(BETA);
            long mean = mem.upload(RUNNING_MEAN), var = mem.upload(RUNNING_VAR), y = mem.junk(COUNT);
            Cudnn.cudnnBatchNormalizationForwardInference(handle.address(), CUDNN_BATCHNORM_SPATIAL, CudnnScalars.alpha(F, 1), CudnnScalars.beta(F, 0),
                    xd.address(), xb, xd.address(), y, bn.address(), gamma, beta, mean, var, EPS);
            assertClose("y", CpuReference.batchNormInference(x, N, C, H, W, GAMMA, BETA, RUNNING_MEAN, RUNNING_VAR, EPS), mem.download(y, COUNT), TOLERANCE);
        }
    }
}
