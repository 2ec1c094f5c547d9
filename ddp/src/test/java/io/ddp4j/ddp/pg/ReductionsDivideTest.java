package io.ddp4j.ddp.pg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AVG's final division gives exactly the bits of x / n, for every world size and every kind of float. */
class ReductionsDivideTest {

    private static float[] floats() {
        Random r = new Random(7);
        float[] v = new float[10_000];
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 3 * Float.MIN_VALUE, 5 * Float.MIN_VALUE, Float.MIN_NORMAL,
                Float.MIN_NORMAL * 1.5f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1f, 3f};
        System.arraycopy(special, 0, v, 0, special.length);
        for (int i = special.length; i < v.length; i++) v[i] = Float.intBitsToFloat(r.nextInt()); // every exponent, subnormals included
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 6, 8, 1024})
    void float32MatchesDivisionBitForBit(int n) {
        float[] v = floats();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocateFrom(ValueLayout.JAVA_FLOAT, v);
            Reductions.divide(seg, DType.F32, v.length, n);
            for (int i = 0; i < v.length; i++) {
                int at = i;
                float got = seg.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                if (Float.isNaN(v[i])) assertEquals(true, Float.isNaN(got), () -> "NaN at " + at + " stays NaN");
                else assertEquals(Float.floatToRawIntBits(v[i] / n), Float.floatToRawIntBits(got), () -> "element " + at + " (" + v[at] + ") divided by " + n);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 6, 8, 1024})
    void float64MatchesDivisionBitForBit(int n) {
        Random r = new Random(8);
        double[] v = new double[10_000];
        double[] special = {0.0, -0.0, Double.MIN_VALUE, 3 * Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, Double.NEGATIVE_INFINITY, 1.0, 3.0};
        System.arraycopy(special, 0, v, 0, special.length);
        for (int i = special.length; i < v.length; i++) {
            v[i] = Double.longBitsToDouble(r.nextLong());
            if (Double.isNaN(v[i])) v[i] = 1.5;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment seg = a.allocateFrom(ValueLayout.JAVA_DOUBLE, v);
            Reductions.divide(seg, DType.F64, v.length, n);
            for (int i = 0; i < v.length; i++) {
                int at = i;
                assertEquals(Double.doubleToRawLongBits(v[i] / n), Double.doubleToRawLongBits(seg.getAtIndex(ValueLayout.JAVA_DOUBLE, i)),
                        () -> "element " + at + " (" + v[at] + ") divided by " + n);
            }
        }
    }
}
