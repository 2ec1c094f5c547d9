package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CpuReference.assertClose;
import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Max pooling and ReLU, forward and backward, against the CPU reference. Both are exact in float. */
@Tag("gpu")
class PoolingActivationGpuTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeCudnn();
    }

    @Test
    void maxPool2x2ForwardAndBackward() {
        int n = 2, c = 3, h = 6, w = 6, oh = 3, ow = 3;
        float[] x = CpuReference.distinct(51, n * c * h * w); // no ties: one winner per window
        float[] dy = CpuReference.random(52, n * c * oh * ow);
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             PoolingDescriptor pool = PoolingDescriptor.maxPool2d(2, 2);
             TensorDescriptor xd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, n, c, h, w);
             TensorDescriptor yd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, n, c, oh, ow)) {
            assertArrayEquals(new int[] {n, c, oh, ow}, pool.outputDims(xd));
            long xb = mem.upload(x), dyb = mem.upload(dy), y = mem.junk(n * c * oh * ow), dx = mem.junk(x.length);
            long hd = handle.address();
            Cudnn.cudnnPoolingForward(hd, pool.address(), CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), xd.address(), xb,
                    CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), yd.address(), y);
            Cudnn.cudnnPoolingBackward(hd, pool.address(), CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), yd.address(), y, yd.address(), dyb,
                    xd.address(), xb, CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), xd.address(), dx);
            assertClose("max-pool y", CpuReference.maxPool2dForward(x, n, c, h, w, 2, 2), mem.download(y, n * c * oh * ow), 1e-6);
            assertClose("max-pool dx", CpuReference.maxPool2dBackward(x, dy, n, c, h, w, 2, 2), mem.download(dx, x.length), 1e-6);
        }
    }

    @Test
    void reluForwardAndBackward() {
        int n = 2, c = 2, h = 3, w = 4, count = n * c * h * w;
        float[] x = CpuReference.distinct(61, count); // contains 0 exactly once; both sides give 0 there
        float[] dy = CpuReference.random(62, count);
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             ActivationDescriptor relu = ActivationDescriptor.relu();
             TensorDescriptor d = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, n, c, h, w)) {
            long xb = mem.upload(x), dyb = mem.upload(dy), y = mem.junk(count), dx = mem.junk(count);
            long hd = handle.address();
            Cudnn.cudnnActivationForward(hd, relu.address(), CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), d.address(), xb,
                    CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), d.address(), y);
            Cudnn.cudnnActivationBackward(hd, relu.address(), CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), d.address(), y, d.address(), dyb,
                    d.address(), xb, CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), d.address(), dx);
            assertClose("relu y", CpuReference.relu(x), mem.download(y, count), 1e-6);
            float[] expectedDx = CpuReference.reluBackward(x, dy);
            float[] actualDx = mem.download(dx, count);
            for (int i = 0; i < count; i++) if (x[i] == 0f) actualDx[i] = expectedDx[i]; // the gradient at exactly 0 is a convention
            assertClose("relu dx", expectedDx, actualDx, 1e-6);
        }
    }
}
