package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The enum values ddp4j sends to cuDNN, against the values in cuDNN 9's headers
 * (cudnn_graph.h for data types, formats, math, NaN, activation and convolution modes;
 * cudnn_ops.h for determinism, pooling, batch norm and the algorithm enums; version 9.6.0,
 * cross-checked with bindings generated from 9.18). A wrong value here would make cuDNN do
 * something else without any error.
 */
class CudnnConstantsTest {

    @Test
    void dataTypesAndFormats() {
        assertEquals(0, CUDNN_DATA_FLOAT);
        assertEquals(1, CUDNN_DATA_DOUBLE);
        assertEquals(2, CUDNN_DATA_HALF);
        assertEquals(3, CUDNN_DATA_INT8);
        assertEquals(4, CUDNN_DATA_INT32);
        assertEquals(6, CUDNN_DATA_UINT8);
        assertEquals(9, CUDNN_DATA_BFLOAT16);
        assertEquals(10, CUDNN_DATA_INT64);
        assertEquals(0, CUDNN_TENSOR_NCHW);
        assertEquals(1, CUDNN_TENSOR_NHWC);
    }

    @Test
    void modes() {
        assertEquals(1, CUDNN_CROSS_CORRELATION);
        assertEquals(3, CUDNN_FMA_MATH);
        assertEquals(1, CUDNN_PROPAGATE_NAN);
        assertEquals(0, CUDNN_POOLING_MAX);
        assertEquals(3, CUDNN_POOLING_MAX_DETERMINISTIC);
        assertEquals(1, CUDNN_ACTIVATION_RELU);
        assertEquals(1, CUDNN_BATCHNORM_SPATIAL);
        assertEquals(2, CUDNN_BATCHNORM_SPATIAL_PERSISTENT);
        assertEquals(1, CUDNN_DETERMINISTIC);
    }

    @Test
    void algorithmEnumsCountUpToTheirCount() throws IllegalAccessException {
        assertDense("CUDNN_CONVOLUTION_FWD_ALGO_", CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        assertDense("CUDNN_CONVOLUTION_BWD_DATA_ALGO_", CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
        assertDense("CUDNN_CONVOLUTION_BWD_FILTER_ALGO_", CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
        assertEquals(8, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        assertEquals(6, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
        assertEquals(7, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
        assertEquals(6, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD);
        assertEquals(3, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3);
    }

    /** The constants with {@code prefix} (but not _COUNT) are exactly 0 .. count-1. */
    private static void assertDense(String prefix, int count) throws IllegalAccessException {
        Set<Integer> values = new HashSet<>();
        for (Field f : CudnnConstants.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith(prefix) && !f.getName().endsWith("_COUNT")) {
                assertTrue(values.add(f.getInt(null)), f.getName() + " repeats a value");
            }
        }
        Set<Integer> expected = new HashSet<>();
        for (int i = 0; i < count; i++) expected.add(i);
        assertEquals(expected, values, prefix + "*");
    }

    @Test
    void dataTypeTableAgreesWithTheConstants() throws IllegalAccessException {
        for (Field f : CudnnConstants.class.getFields()) {
            if (!f.getName().startsWith("CUDNN_DATA_")) continue;
            int v = f.getInt(null);
            assertEquals(f.getName(), DataTypes.name(v));
        }
        assertEquals(4, DataTypes.size(CUDNN_DATA_FLOAT));
        assertEquals(8, DataTypes.size(CUDNN_DATA_DOUBLE));
        assertEquals(2, DataTypes.size(CUDNN_DATA_HALF));
        assertEquals(2, DataTypes.size(CUDNN_DATA_BFLOAT16));
        assertEquals("cudnnDataType(42)", DataTypes.name(42));
    }
}
