package io.ddp4j.bindings.nccl;

import java.util.List;

/** The plain-Java meaning of NCCL's reductions and of the two 16-bit float formats, for the GPU tests. */
final class NcclReference {
    private NcclReference() {}

    /** Element-wise reduction of every rank's contribution, as ncclSum/ncclProd/ncclMax/ncclMin/ncclAvg define it. */
    static float[] reduce(List<float[]> perRank, int op) {
        int n = perRank.get(0).length;
        float[] out = perRank.get(0).clone();
        for (int r = 1; r < perRank.size(); r++) {
            float[] x = perRank.get(r);
            for (int i = 0; i < n; i++) {
                out[i] = switch (op) {
                    case Nccl.ncclSum, Nccl.ncclAvg -> out[i] + x[i];
                    case Nccl.ncclProd -> out[i] * x[i];
                    case Nccl.ncclMax -> Math.max(out[i], x[i]);
                    case Nccl.ncclMin -> Math.min(out[i], x[i]);
                    default -> throw new IllegalArgumentException("no reference for op " + op);
                };
            }
        }
        if (op == Nccl.ncclAvg) for (int i = 0; i < n; i++) out[i] /= perRank.size();
        return out;
    }

    /** bfloat16 is the upper half of a float; exact for the test values, which have at most 8 significant bits. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0xffff) != 0) throw new IllegalArgumentException(f + " is not exact in bfloat16");
        return (short) (bits >>> 16);
    }

    static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    static short[] toBf16(float[] v) {
        short[] out = new short[v.length];
        for (int i = 0; i < v.length; i++) out[i] = toBf16(v[i]);
        return out;
    }

    static float[] fromBf16(short[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = fromBf16(v[i]);
        return out;
    }

    static short[] toF16(float[] v) {
        short[] out = new short[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToFloat16(v[i]);
            if (Float.float16ToFloat(out[i]) != v[i]) throw new IllegalArgumentException(v[i] + " is not exact in float16");
        }
        return out;
    }

    static float[] fromF16(short[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = Float.float16ToFloat(v[i]);
        return out;
    }
}
