package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * cublasLt.h builds the epilogue values from flags: RELU 2, BIAS 4, DRELU 8, BGRAD 16, GELU 32,
 * DGELU 64, AUX 128, BGRADA 256, BGRADB 512 (e.g. RELU_AUX_BIAS = RELU | 128 | BIAS,
 * DRELU = 8 | 128, DRELU_BGRAD = DRELU | 16). The table of what each epilogue reads and writes
 * must agree with those flags.
 */
class LtEpilogueTest {

    @Test
    void valuesAreTheHeadersFlagCombinations() {
        assertEquals(1, LtEpilogue.DEFAULT.value());
        assertEquals(2, LtEpilogue.RELU.value());
        assertEquals(2 | 128, LtEpilogue.RELU_AUX.value());
        assertEquals(4, LtEpilogue.BIAS.value());
        assertEquals(2 | 4, LtEpilogue.RELU_BIAS.value());
        assertEquals(2 | 128 | 4, LtEpilogue.RELU_AUX_BIAS.value());
        assertEquals(8 | 128, LtEpilogue.DRELU.value());
        assertEquals(8 | 128 | 16, LtEpilogue.DRELU_BGRAD.value());
        assertEquals(32, LtEpilogue.GELU.value());
        assertEquals(32 | 128, LtEpilogue.GELU_AUX.value());
        assertEquals(32 | 4, LtEpilogue.GELU_BIAS.value());
        assertEquals(32 | 128 | 4, LtEpilogue.GELU_AUX_BIAS.value());
        assertEquals(64 | 128, LtEpilogue.DGELU.value());
        assertEquals(64 | 128 | 16, LtEpilogue.DGELU_BGRAD.value());
        assertEquals(256, LtEpilogue.BGRADA.value());
        assertEquals(512, LtEpilogue.BGRADB.value());
    }

    @Test
    void whatEachEpilogueReadsAndWritesFollowsItsFlags() {
        for (LtEpilogue e : LtEpilogue.values()) {
            int v = e.value();
            boolean readsBias = (v & 4) != 0;
            boolean biasGradient = (v & (16 | 256 | 512)) != 0;
            assertEquals(readsBias, e.bias() == LtEpilogue.Bias.READ, e.name());
            assertEquals(biasGradient, e.bias() == LtEpilogue.Bias.GRADIENT_OF_ROWS || e.bias() == LtEpilogue.Bias.GRADIENT_OF_COLUMNS, e.name());
            assertEquals((v & 512) != 0, e.bias() == LtEpilogue.Bias.GRADIENT_OF_COLUMNS, e.name());
            assertEquals((v & 128) != 0, e.aux().present(), e.name());
            if (e.aux().present()) {
                boolean relu = (v & (2 | 8)) != 0;
                boolean backward = (v & (8 | 64)) != 0;
                assertEquals(relu, e.aux().isReluMask(), e.name());
                assertEquals(relu ? 128 : 8, e.aux().ldMultiple(), e.name());
                assertEquals(backward, e.aux() == LtEpilogue.Aux.RELU_MASK_IN || e.aux() == LtEpilogue.Aux.GELU_INPUT_IN, e.name());
            }
            assertEquals(e, LtEpilogue.of(v));
        }
        assertThrows(IllegalArgumentException.class, () -> LtEpilogue.of(3));
    }
}
