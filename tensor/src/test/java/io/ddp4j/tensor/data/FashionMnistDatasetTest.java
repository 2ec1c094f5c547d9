package io.ddp4j.tensor.data;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.data.idx.MnistDataset;
import io.ddp4j.tensor.data.idx.MnistSplit;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FashionMnistDatasetTest {
    /** Three 2x2 "images" whose pixels tell their index, labels 7, 8, 9. */
    private static final MnistDataset TINY = new MnistDataset(MnistSplit.TEST,
            new float[]{0, 0.1f, 0.2f, 0.3f, 1, 1.1f, 1.2f, 1.3f, 2, 2.1f, 2.2f, 2.3f}, new long[]{7, 8, 9}, 2, 2);

    @Test
    void samplesAreAnImageTensorAndAnInt64Label() {
        List<Tensor> s = new FashionMnistDataset(TINY, FashionMnistDataset.Layout.IMAGE).get(1);
        assertArrayEquals(new int[]{1, 2, 2}, s.get(0).shape());
        assertArrayEquals(new float[]{1, 1.1f, 1.2f, 1.3f}, s.get(0).toFloatArray());
        assertEquals(DType.I64, s.get(1).dtype());
        assertEquals(0, s.get(1).dim());
        assertEquals(8, s.get(1).item());
        assertArrayEquals(new int[]{4}, new FashionMnistDataset(TINY, FashionMnistDataset.Layout.FLAT).get(0).get(0).shape());
    }

    @Test
    void aGatheredBatchEqualsStackedSamples() {
        FashionMnistDataset d = new FashionMnistDataset(TINY, FashionMnistDataset.Layout.IMAGE, 0.5, 2);
        int[] indices = {2, 0};
        try (Batch gathered = d.getBatch(indices);
             Batch stacked = Collate.stack().collate(List.of(d.get(2), d.get(0))).keep()) {
            assertArrayEquals(new int[]{2, 1, 2, 2}, gathered.get(0).shape());
            assertArrayEquals(stacked.get(0).toFloatArray(), gathered.get(0).toFloatArray());
            assertArrayEquals(new long[]{9, 7}, gathered.get(1).toLongArray());
            assertEquals((2.3f - 0.5f) / 2, gathered.get(0).toFloatArray()[3], 1e-6, "standardised pixel");
        }
    }

    @Test
    void anIndexOutsideTheSplitIsRefused() {
        var e = assertThrows(IndexOutOfBoundsException.class, () -> new FashionMnistDataset(TINY, FashionMnistDataset.Layout.FLAT).getBatch(new int[]{0, 3}));
        assertEquals("FashionMnistDataset: index 3 is outside [0, 3)", e.getMessage());
    }
}
