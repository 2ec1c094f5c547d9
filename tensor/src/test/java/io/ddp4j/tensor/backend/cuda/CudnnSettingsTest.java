package io.ddp4j.tensor.backend.cuda;

import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_BFLOAT16;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_DOUBLE;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_FLOAT;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_DATA_HALF;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_TENSOR_OP_MATH;
import static io.ddp4j.bindings.cudnn.CudnnConstants.CUDNN_FMA_MATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.bindings.cudnn.Conv2dOptions;
import io.ddp4j.bindings.cudnn.Conv2dShape;
import io.ddp4j.bindings.cudnn.Cudnn;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.Conv2dParams;
import org.junit.jupiter.api.Test;

/** How the CUDA backend's cuDNN convolutions are configured: the parts that need no GPU. */
class CudnnSettingsTest {

    @Test
    void theSwitchesDefaultLikePyTorchsAndRefuseAnythingButTrueOrFalse() {
        String[] names = {"ddp4j.cudnn.enabled", "ddp4j.cudnn.benchmark", "ddp4j.cudnn.deterministic"};
        for (String n : names) System.clearProperty(n);
        assertEquals(new CudnnSettings(true, false, false), CudnnSettings.fromSystemProperties());
        try {
            System.setProperty("ddp4j.cudnn.enabled", " FALSE ");
            System.setProperty("ddp4j.cudnn.benchmark", "true");
            System.setProperty("ddp4j.cudnn.deterministic", "True");
            assertEquals(new CudnnSettings(false, true, true), CudnnSettings.fromSystemProperties());
            System.setProperty("ddp4j.cudnn.benchmark", "yes");
            var e = assertThrows(IllegalArgumentException.class, CudnnSettings::fromSystemProperties);
            assertEquals("system property ddp4j.cudnn.benchmark must be true or false, got \"yes\"", e.getMessage());
        } finally {
            for (String n : names) System.clearProperty(n);
        }
    }

    @Test
    void switchedOffOrMissingCudnnIsExplained() {
        assertEquals("cuDNN is switched off (-Dddp4j.cudnn.enabled=false)", new CudnnSettings(false, false, false).whyNotCudnn().orElseThrow());
        var why = new CudnnSettings(true, false, false).whyNotCudnn();
        assertEquals(Cudnn.isLoaded(), why.isEmpty());
        if (!Cudnn.isLoaded()) assertTrue(why.get().startsWith("cuDNN was not found: "), why.get());
    }

    @Test
    void fp32AndFp64StayOffTensorCoresWhileHalfPrecisionAsksForThem() {
        CudnnSettings plain = new CudnnSettings(true, false, false);
        assertEquals(CUDNN_FMA_MATH, CudnnConvolutions.options(DType.F32, plain).mathType());
        assertEquals(CUDNN_FMA_MATH, CudnnConvolutions.options(DType.F64, plain).mathType());
        assertEquals(CUDNN_TENSOR_OP_MATH, CudnnConvolutions.options(DType.F16, plain).mathType());
        assertEquals(CUDNN_TENSOR_OP_MATH, CudnnConvolutions.options(DType.BF16, plain).mathType());
        Conv2dOptions o = CudnnConvolutions.options(DType.F32, plain);
        assertEquals(Conv2dOptions.Search.HEURISTIC, o.search());
        assertFalse(o.deterministicOnly());
        assertEquals(CudnnConvolutions.WORKSPACE_LIMIT, o.workspaceLimitBytes());
        Conv2dOptions tuned = CudnnConvolutions.options(DType.F32, new CudnnSettings(true, true, true));
        assertEquals(Conv2dOptions.Search.EXHAUSTIVE, tuned.search());
        assertTrue(tuned.deterministicOnly());
    }

    @Test
    void dtypesMapToCudnnTypesAndIntegersStayOnTheDirectKernels() {
        assertEquals(CUDNN_DATA_FLOAT, CudnnConvolutions.cudnnType(DType.F32));
        assertEquals(CUDNN_DATA_DOUBLE, CudnnConvolutions.cudnnType(DType.F64));
        assertEquals(CUDNN_DATA_HALF, CudnnConvolutions.cudnnType(DType.F16));
        assertEquals(CUDNN_DATA_BFLOAT16, CudnnConvolutions.cudnnType(DType.BF16));
        for (DType t : new DType[]{DType.I32, DType.I64, DType.U8, DType.BOOL}) {
            assertFalse(CudnnConvolutions.serves(t), t.toString());
            assertThrows(IllegalArgumentException.class, () -> CudnnConvolutions.cudnnType(t));
        }
    }

    @Test
    void theCudnnShapeIsPyTorchsConvolution() {
        Conv2dParams p = new Conv2dParams(2, 1, 1, 2, 3, 1, 2);
        Conv2dShape s = CudnnConvolutions.shapeOf(new int[]{8, 4, 30, 20}, new int[]{6, 2, 5, 3}, p);
        assertEquals(new Conv2dShape(8, 4, 30, 20, 6, 5, 3, 1, 2, 2, 1, 3, 1, 2), s);
        assertEquals(p.outH(30, 5), s.outHeight());
        assertEquals(p.outW(20, 3), s.outWidth());
    }
}
