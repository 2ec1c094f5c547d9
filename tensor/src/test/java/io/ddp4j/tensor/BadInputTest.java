package io.ddp4j.tensor;

import io.ddp4j.tensor.memory.DeviceStorage;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wrong shapes, dtypes, devices, dims and indices fail with a message naming the op and the operands. */
@ExtendWith(ScopePerTest.class)
class BadInputTest {
    private static void fails(Class<? extends Throwable> type, Executable call, String... mustMention) {
        Throwable e = assertThrows(type, call);
        for (String s : mustMention)
            assertTrue(e.getMessage().contains(s), "the message should mention '" + s + "': " + e.getMessage());
    }

    @Test
    void mismatchedShapes() {
        Tensor a = Tensor.zeros(2, 3), b = Tensor.zeros(4);
        fails(IllegalArgumentException.class, () -> a.add(b), "add:", "[2, 3]", "[4]");
        fails(IllegalArgumentException.class, () -> a.matmul(Tensor.zeros(4, 2)), "matmul:", "float32[2, 3]", "float32[4, 2]", "3 != 4");
        fails(IllegalArgumentException.class, () -> a.reshape(4, 2), "reshape:", "[4, 2]", "float32[2, 3]");
        fails(IllegalArgumentException.class, () -> a.expand(2, 4), "expand:", "float32[2, 3]", "[2, 4]");
        fails(IllegalArgumentException.class, () -> Functional.linear(a, Tensor.zeros(5, 4), null), "linear:", "float32[2, 3]", "float32[5, 4]");
        fails(IllegalArgumentException.class, () -> Functional.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(2, 2, 3, 3), null, 1, 0),
                "conv2d:", "float32[1, 3, 5, 5]", "float32[2, 2, 3, 3]");
        fails(IllegalArgumentException.class, () -> Functional.cat(List.of(a, Tensor.zeros(3, 3)), 1), "cat:", "float32[3, 3]", "float32[2, 3]");
        fails(IllegalArgumentException.class, () -> Tensor.fromArray(new float[]{1, 2, 3}, 2, 2), "fromArray:", "3 values", "[2, 2]");
        fails(IllegalArgumentException.class, () -> a.addInPlace(Tensor.zeros(3, 3)), "addInPlace:", "float32[3, 3]");
    }

    @Test
    void mismatchedDtypes() {
        Tensor f = Tensor.zeros(DType.F32, 2), d = Tensor.zeros(DType.F64, 2);
        // elementwise ops promote mixed dtypes as PyTorch does (TypePromotionTest); these refuse, as in PyTorch
        fails(IllegalArgumentException.class, () -> f.matmul(d), "matmul:", "float32[2]", "float64[2]");
        fails(IllegalArgumentException.class, () -> Tensor.where(f, f, f), "where:", "bool");
        fails(IllegalArgumentException.class, () -> Tensor.arange(2).addInPlace(Tensor.zeros(2)), "addInPlace:", "int64", "float32");
        fails(IllegalArgumentException.class, () -> Tensor.arange(3).softmax(0), "softmax:", "int64[3]");
        fails(IllegalArgumentException.class, () -> Functional.crossEntropy(Tensor.zeros(2, 3), Tensor.zeros(DType.I32, 2)),
                "cross_entropy:", "int32[2]");
    }

    @Test
    void boolTensorsRefuseWhatPyTorchRefuses() {
        Tensor mask = Tensor.fromArray(new boolean[]{true, false}, 2), ints = Tensor.arange(2);
        fails(IllegalArgumentException.class, mask::neg, "neg:", "negation", "bool[2]", "logicalNot()");
        fails(IllegalArgumentException.class, () -> mask.sub(mask), "sub:", "subtraction with a bool tensor", "bool[2] and bool[2]", "logicalXor()");
        fails(IllegalArgumentException.class, () -> ints.sub(mask), "sub:", "int64[2] and bool[2]");
        fails(IllegalArgumentException.class, () -> mask.sub(1L), "sub:", "bool[2] and the integer 1");
        fails(IllegalArgumentException.class, () -> mask.subInPlace(mask), "subInPlace:", "bool[2] and bool[2]");
        fails(IllegalArgumentException.class, mask::abs, "abs:", "bool[2]");
        fails(IllegalArgumentException.class, mask::relu, "relu:", "bool[2]");
        fails(IllegalArgumentException.class, () -> mask.pow(mask), "pow:", "bool[2]");
        fails(IllegalArgumentException.class, () -> mask.argmax(0, false), "argmax:", "bool[2]");
        // what PyTorch does define: or, and, a count, and powers and differences computed in int64
        assertArrayEquals(new boolean[]{true, true}, mask.add(Tensor.fromArray(new boolean[]{false, true}, 2)).toBooleanArray());
        assertArrayEquals(new boolean[]{true, false}, mask.mul(mask).toBooleanArray());
        assertEquals(1, mask.sum().longItem());
        assertArrayEquals(new long[]{1, 0}, mask.pow(2L).toLongArray());
        assertArrayEquals(new long[]{-1, 1}, ints.sub(mask.to(DType.I64)).toLongArray());
    }

    /** A storage that claims to live on a GPU; ops must refuse to mix it with CPU tensors before touching it. */
    private record ElsewhereStorage(Device device) implements DeviceStorage {
        public long byteSize() { return 64; }
        public void retain() {}
        public void release() {}
        public boolean isFreed() { return false; }
        public long address() { return 0; }
    }

    @Test
    void mismatchedDevices() {
        Tensor onGpu = Tensor.fromStorage(new ElsewhereStorage(Device.cuda(3)), DType.F32, new int[]{2}, new long[]{1}, 0);
        Tensor onCpu = Tensor.zeros(2);
        fails(IllegalArgumentException.class, () -> onCpu.add(onGpu), "add:", "cpu", "cuda:3");
        fails(IllegalArgumentException.class, () -> onCpu.matmul(onGpu), "matmul:", "cpu", "cuda:3");
        // (copyFrom crosses devices, as PyTorch's copy_ does: CpuScalarsOnCudaGpuTest)
        fails(IllegalArgumentException.class, () -> Functional.linear(onCpu, onGpu.reshape(1, 2), null), "linear:", "cpu", "cuda:3");
    }

    @Test
    void outOfRangeDimsAndIndices() {
        Tensor a = Tensor.zeros(2, 3);
        fails(IndexOutOfBoundsException.class, () -> a.sum(2, false), "sum:", "dim 2", "float32[2, 3]");
        fails(IndexOutOfBoundsException.class, () -> a.transpose(0, -3), "transpose:", "dim -3");
        fails(IndexOutOfBoundsException.class, () -> a.softmax(5), "softmax:", "dim 5");
        fails(IndexOutOfBoundsException.class, () -> a.narrow(1, 2, 2), "narrow:", "float32[2, 3]");
        fails(IndexOutOfBoundsException.class, () -> Functional.indexSelect(a, 0, Tensor.fromArray(new long[]{0, 2})), "index_select:", "index 2", "size 2");
        fails(IndexOutOfBoundsException.class, () -> Functional.embedding(Tensor.fromArray(new long[]{5}), Tensor.zeros(3, 4)),
                "embedding:", "index 5", "float32[3, 4]");
        fails(IndexOutOfBoundsException.class, () -> Functional.crossEntropy(Tensor.zeros(2, 3), Tensor.fromArray(new long[]{0, 3})),
                "cross_entropy:", "target 3", "3 classes");
        fails(IllegalArgumentException.class, () -> a.permute(0, 0), "permute:", "twice");
    }

    @Test
    void writingIntoAnExpandedViewIsRefused() {
        Tensor e = Tensor.zeros(1, 3).expand(4, 3);
        fails(IllegalArgumentException.class, () -> e.fillInPlace(1), "fillInPlace:", "expanded");
    }
}
