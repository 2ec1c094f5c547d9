package io.ddp4j.tensor.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorFilesTest {

    @Test
    void tensorsOfEveryKindRoundTripWithTheirNamesInOrder(@TempDir Path dir) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("1.weight", Tensor.randn(new Generator(3), 4, 3));
        in.put("1.bias", Tensor.fromArray(new double[] {1.5, -2.25}, 2));
        in.put("bn.num_batches_tracked", Tensor.fromArray(new long[] {7}).reshape());
        in.put("transposed view", Tensor.arange(0, 6, 1, DType.F32).reshape(2, 3).t());
        in.put("half", Tensor.fromArray(new float[] {0.5f, 3f}, 2).to(DType.BF16));
        Path f = dir.resolve("model.safetensors");
        TensorFiles.save(f, in, Map.of("format", "pt"));

        Map<String, Tensor> out = TensorFiles.load(f);
        assertEquals(List.copyOf(in.keySet()), List.copyOf(out.keySet()));
        for (String k : in.keySet()) {
            assertArrayEquals(in.get(k).shape(), out.get(k).shape(), k);
            assertEquals(in.get(k).dtype(), out.get(k).dtype(), k);
            assertArrayEquals(in.get(k).toDoubleArray(), out.get(k).toDoubleArray(), k);
        }
        assertEquals(Map.of("format", "pt"), TensorFiles.metadata(f));
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, out.get("transposed view").toFloatArray(), "views are written as their logical values");
    }
}
