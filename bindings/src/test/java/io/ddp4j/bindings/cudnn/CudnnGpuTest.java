package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.CudnnException;
import io.ddp4j.bindings.LibraryStatus;
import io.ddp4j.bindings.cuda.Cudart;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The handle, the version, and bad arguments that cuDNN itself must refuse with an exception, not a crash. */
@Tag("gpu")
class CudnnGpuTest {

    @BeforeAll
    static void gpu() {
        GpuTests.assumeCudnn();
    }

    @Test
    void versionForDdp4jInfo() {
        assertTrue(Cudnn.cudnnGetVersion() >= 90000, "ddp4j binds cuDNN 9, found " + Cudnn.cudnnGetVersion());
        assertTrue(Cudnn.versionString().matches("9\\.\\d+\\.\\d+"), Cudnn.versionString());
        assertTrue(Cudnn.cudnnGetCudartVersion() > 0);
        LibraryStatus status = LibraryStatus.of(Cudnn.library(), Cudnn::versionString);
        assertTrue(status.usable(), status.toString());
        assertEquals("CUDNN_STATUS_BAD_PARAM", Cudnn.cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM).strip(),
                "cuDNN's text for a status is its name; the table in CudnnErrors relies on the same names");
    }

    @Test
    void handleKeepsItsStreamAndClosesOnce() {
        long stream = Cudart.cudaStreamCreateWithPriority(Cudart.cudaStreamNonBlocking, 0);
        CudnnHandle handle = CudnnHandle.create();
        try {
            assertEquals(0L, handle.stream(), "a new handle works on the legacy default stream");
            handle.setStream(stream);
            assertEquals(stream, handle.stream());
        } finally {
            handle.close();
            Cudart.cudaStreamDestroy(stream);
        }
        handle.close();
        assertTrue(handle.isClosed());
        var e = assertThrows(IllegalStateException.class, () -> handle.setStream(0));
        assertEquals("CudnnHandle is closed", e.getMessage());
    }

    @Test
    void descriptorsCloseOnceAndRefuseUseAfterClose() {
        TensorDescriptor t = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 2, 3, 4, 5);
        assertArrayEquals(new int[] {60, 20, 5, 1}, t.strides());
        assertEquals(2L * 3 * 4 * 5 * 4, Cudnn.cudnnGetTensorSizeInBytes(t.address()));
        t.close();
        t.close();
        assertThrows(IllegalStateException.class, t::address);
        try (TensorDescriptor nd = TensorDescriptor.packed(CUDNN_DATA_DOUBLE, 2, 3, 4, 5, 6)) {
            assertEquals(2L * 3 * 4 * 5 * 6 * 8, Cudnn.cudnnGetTensorSizeInBytes(nd.address()));
        }
    }

    @Test
    void negativeDimensionIsAnExceptionNamingTheCall() {
        long desc = Cudnn.cudnnCreateTensorDescriptor();
        try {
            // the thin binding passes the value straight through; cuDNN must refuse it
            var e = assertThrows(CudnnException.class, () -> Cudnn.cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, -1, 3, 4, 4));
            assertEquals("cudnnSetTensor4dDescriptor", e.call());
            assertEquals(CUDNN_STATUS_BAD_PARAM, CudnnErrors.category(e.code()), e.getMessage());
            assertTrue(e.getMessage().startsWith("cudnnSetTensor4dDescriptor failed: CUDNN_STATUS_BAD_PARAM"), e.getMessage());
        } finally {
            Cudnn.cudnnDestroyTensorDescriptor(desc);
        }
    }

    @Test
    void mismatchedFilterDescriptorIsAnExceptionAndTheHandleStillWorks() {
        Conv2dShape s = Conv2dShape.of(1, 1, 8, 8, 1, 3, 1, 1, 1, 1); // output 1x1x8x8
        try (CudnnHandle handle = CudnnHandle.create();
             DeviceBuffers mem = new DeviceBuffers();
             TensorDescriptor xd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 1, 1, 8, 8);
             FilterDescriptor wd = FilterDescriptor.kcrs(CUDNN_DATA_FLOAT, 1, 1, 3, 3);
             FilterDescriptor twoChannelW = FilterDescriptor.kcrs(CUDNN_DATA_FLOAT, 1, 2, 3, 3); // x has 1 channel
             TensorDescriptor yd = TensorDescriptor.nchw(CUDNN_DATA_FLOAT, 1, 1, 8, 8);
             ConvolutionDescriptor cd = ConvolutionDescriptor.forShape(s, CUDNN_DATA_FLOAT, CUDNN_FMA_MATH)) {
            float[] x = CpuReference.random(81, 64), w = CpuReference.random(82, 9);
            long xb = mem.upload(x), wb = mem.upload(w), y = mem.junk(64);
            long wideW = mem.junk(18); // big enough for the wrong filter too, so nothing could read past a buffer
            long h = handle.address();
            var e = assertThrows(CudnnException.class, () -> Cudnn.cudnnConvolutionForward(h, CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), xd.address(), xb,
                    twoChannelW.address(), wideW, cd.address(), CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 0, 0, CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), yd.address(), y));
            assertEquals("cudnnConvolutionForward", e.call());
            assertTrue(e.getMessage().startsWith("cudnnConvolutionForward failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("(cuDNN status " + e.code() + ")"), e.getMessage());

            // the failure left nothing broken: the right call on the same handle works and is correct
            long bytes = Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, xd.address(), wd.address(), cd.address(), yd.address(), CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
            long ws = bytes > 0 ? mem.allocate((int) ((bytes + 3) / 4)) : 0;
            Cudnn.cudnnConvolutionForward(h, CudnnScalars.alpha(CUDNN_DATA_FLOAT, 1), xd.address(), xb, wd.address(), wb, cd.address(),
                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, ws, bytes, CudnnScalars.beta(CUDNN_DATA_FLOAT, 0), yd.address(), y);
            CpuReference.assertClose("y", CpuReference.conv2dForward(x, w, s), mem.download(y, 64), 1e-3);
        }
    }
}
