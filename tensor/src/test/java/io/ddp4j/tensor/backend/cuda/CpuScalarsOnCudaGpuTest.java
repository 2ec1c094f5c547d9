package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.BatchNorm2d;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PyTorch lets a 0-d CPU tensor take part in ops on CUDA tensors as a scalar
 * ({@code cuda_x + torch.tensor(2.0)}) and copies across devices with {@code copy_}; other
 * operands on two devices are refused. BatchNorm's step counter (a CUDA int64 buffer plus a CPU
 * one) relied on it and failed on its first CUDA training step.
 */
@Tag("gpu")
class CpuScalarsOnCudaGpuTest {
    private static final Device CUDA = Device.cuda(0);
    private Scope scope;

    @BeforeEach
    void open() {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        scope = Scope.open();
    }

    @AfterEach
    void close() {
        if (scope != null) scope.close();
    }

    @Test
    void aCpuScalarJoinsBinaryOpsOnCudaEitherSideWithTypePromotion() {
        Tensor x = Tensor.fromArray(new float[]{1, 2, 3}, 3).to(CUDA);
        Tensor two = Tensor.scalar(2, DType.F64);
        Tensor sum = x.add(two), diff = two.sub(x);
        assertEquals(CUDA, sum.device());
        assertEquals(CUDA, diff.device());
        assertEquals(DType.F32, sum.dtype(), "a 0-d operand does not raise a dimensioned one's category");
        assertArrayEquals(new float[]{3, 4, 5}, sum.toFloatArray());
        assertArrayEquals(new float[]{1, 0, -1}, diff.toFloatArray());
        Tensor ints = Tensor.fromArray(new long[]{1, 2, 3}, 3).to(CUDA);
        Tensor half = ints.mul(Tensor.scalar(0.5, DType.F32));
        assertEquals(DType.F32, half.dtype(), "int64 with a float scalar is float32");
        assertArrayEquals(new float[]{0.5f, 1, 1.5f}, half.toFloatArray());
    }

    @Test
    void whereAndInPlaceAddTakeCpuScalarsAndCopyFromCrossesDevices() {
        Tensor x = Tensor.fromArray(new float[]{-1, 2, -3}, 3).to(CUDA);
        Tensor clipped = Tensor.where(x.gt(0), x, Tensor.scalar(0, DType.F32));
        assertArrayEquals(new float[]{0, 2, 0}, clipped.toFloatArray());
        Tensor counter = Tensor.zeros(DType.I64).to(CUDA);
        counter.addInPlace(Tensor.ones(DType.I64));
        counter.addInPlace(Tensor.ones(DType.I64));
        assertEquals(2L, counter.to(Device.CPU).toLongArray()[0]);
        Tensor target = Tensor.zeros(DType.F32, CUDA, 2, 2);
        target.copyFrom(Tensor.fromArray(new float[]{1, 2, 3, 4}, 2, 2));
        assertArrayEquals(new float[]{1, 2, 3, 4}, target.toFloatArray());
        Tensor back = Tensor.zeros(DType.F32, Device.CPU, 2, 2);
        back.copyFrom(target);
        assertArrayEquals(new float[]{1, 2, 3, 4}, back.toFloatArray());
    }

    @Test
    void copyFromAcrossDevicesRefusesALeafThatRequiresGradAsOnOneDevice() {
        Tensor leaf = Tensor.zeros(DType.F32, CUDA, 3).setRequiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> leaf.copyFrom(Tensor.ones(3)));
        assertTrue(e.getMessage().contains("requires grad"), e.getMessage());
        Tensor cpuLeaf = Tensor.zeros(3).setRequiresGrad(true);
        assertThrows(IllegalStateException.class, () -> cpuLeaf.copyFrom(Tensor.ones(DType.F32, CUDA, 3)));
    }

    @Test
    void aCpuScalarThatRequiresGradGetsItsGradientOnTheCpu() {
        Tensor x = Tensor.fromArray(new float[]{1, 2, 3}, 3).to(CUDA);
        Tensor w = Tensor.scalar(2, DType.F32).setRequiresGrad(true);
        x.mul(w).sum().backward();
        assertEquals(Device.CPU, w.grad().device());
        assertEquals(6f, w.grad().toFloatArray()[0], 0f);
    }

    @Test
    void tensorsWithDimsOnTwoDevicesAreStillRefusedNamingBoth() {
        Tensor x = Tensor.fromArray(new float[]{1, 2, 3}, 3).to(CUDA);
        Tensor y = Tensor.fromArray(new float[]{1, 2, 3}, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> x.add(y));
        assertTrue(e.getMessage().contains("cuda:0") && e.getMessage().contains("cpu"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> x.addInPlace(y));
    }

    @Test
    void batchNormTrainsOnCudaAndCountsItsSteps() {
        BatchNorm2d bn = new BatchNorm2d(3);
        bn.to(CUDA);
        bn.train();
        Tensor input = Tensor.randn(new Generator(3), DType.F32, 4, 3, 5, 5).to(CUDA);
        bn.forward(input);
        bn.forward(input);
        Tensor tracked = bn.namedBuffers().get("num_batches_tracked");
        assertEquals(CUDA, tracked.device());
        assertEquals(2L, tracked.to(Device.CPU).toLongArray()[0]);
        bn.close();
    }
}
