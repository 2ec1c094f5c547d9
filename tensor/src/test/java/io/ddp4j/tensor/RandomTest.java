package io.ddp4j.tensor;

import io.ddp4j.tensor.backend.cpu.Philox;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counter-based generator, and the tensors made from it. */
@ExtendWith(ScopePerTest.class)
class RandomTest {
    @Test
    void philoxMatchesTheRandom123KnownAnswers() {
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[]{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[]{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[]{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void randElementIComesFromCounterOffsetPlusIOver4LaneIMod4() {
        Generator gen = new Generator(0x1234_5678_9abcL);
        gen.reserve(10);
        Tensor r = Tensor.rand(gen, DType.F64, 9);
        double[] values = r.toDoubleArray();
        int[] block = new int[4];
        for (int i = 0; i < 9; i++) {
            Philox.block(10 + i / 4, gen.seed(), block);
            assertEquals(Philox.toUnit(block[i % 4], 32), values[i], 0);
        }
        assertEquals(13, gen.offset(), "9 numbers use 3 blocks of 4");
    }

    @Test
    void sameSeedSameNumbersAndSuccessiveCallsDiffer() {
        Generator a = new Generator(7), b = new Generator(7);
        float[] first = Tensor.randn(a, 3, 5).toFloatArray();
        assertArrayEquals(first, Tensor.randn(b, 3, 5).toFloatArray());
        assertFalse(java.util.Arrays.equals(first, Tensor.randn(a, 3, 5).toFloatArray()));
    }

    @Test
    void uniformAndNormalHaveTheRightMoments() {
        Generator gen = new Generator(1);
        Tensor u = Tensor.rand(gen, DType.F32, 200_000);
        assertEquals(0.5, u.mean().item(), 0.005);
        assertTrue(u.max().item() < 1 && u.ge(0).to(DType.F32).mean().item() == 1);
        Tensor n = Tensor.randn(gen, DType.F64, 200_000);
        assertEquals(0, n.mean().item(), 0.01);
        assertEquals(1, n.var(null, false).item(), 0.01);
    }

    @Test
    void dropoutIsSeededAndScalesTheSurvivors() {
        Tensor x = Tensor.ones(DType.F32, 10_000);
        Tensor a = Functional.dropout(x, 0.25, true, new Generator(3));
        Tensor b = Functional.dropout(x, 0.25, true, new Generator(3));
        assertArrayEquals(a.toFloatArray(), b.toFloatArray());
        double kept = a.gt(0).to(DType.F32).mean().item();
        assertEquals(0.75, kept, 0.02);
        assertEquals(4f / 3, a.max().item(), 1e-6);
        assertEquals(1.0, a.mean().item(), 0.03, "inverted dropout keeps the expectation");
        assertArrayEquals(x.toFloatArray(), Functional.dropout(x, 0.25, false, new Generator(3)).toFloatArray());
    }
}
