package io.ddp4j.ddp.reducer;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BucketPlanTest {
    static List<BucketPlan.Param> params(long... numels) {
        List<BucketPlan.Param> out = new ArrayList<>();
        for (int i = 0; i < numels.length; i++) out.add(new BucketPlan.Param(i, DType.F32, Device.CPU, numels[i]));
        return out;
    }

    static List<List<Integer>> members(List<BucketPlan.Bucket> plan) {
        return plan.stream().map(BucketPlan.Bucket::params).toList();
    }

    @Test
    void reverseOrderFirstBucketCapThenTheLargerCap() {
        // 6 params of 100 floats (400 bytes); first cap 400 bytes, then 1000
        var plan = BucketPlan.compute(params(100, 100, 100, 100, 100, 100), BucketPlan.reverse(6), List.of(400L, 1000L));
        assertEquals(List.of(List.of(5), List.of(4, 3, 2), List.of(1, 0)), members(plan));
        assertEquals(List.of(100L, 300L, 200L), plan.stream().map(BucketPlan.Bucket::numel).toList());
    }

    @Test
    void aBucketClosesOnceItReachesItsCapAndAnOversizedParameterGetsItsOwn() {
        var plan = BucketPlan.compute(params(10, 1000, 10, 10), BucketPlan.reverse(4), List.of(100L));
        assertEquals(List.of(List.of(3, 2, 1), List.of(0)), members(plan));
    }

    @Test
    void dtypesNeverShareABucketAndEachWalksItsOwnCaps() {
        List<BucketPlan.Param> ps = List.of(
                new BucketPlan.Param(0, DType.F32, Device.CPU, 100),
                new BucketPlan.Param(1, DType.F64, Device.CPU, 100),
                new BucketPlan.Param(2, DType.F32, Device.CPU, 100),
                new BucketPlan.Param(3, DType.F64, Device.CPU, 100));
        var plan = BucketPlan.compute(ps, BucketPlan.reverse(4), List.of(400L, 100_000L));
        // f64 3 (800 bytes) fills its first bucket; f32 2 (400 bytes) fills its own first; the rest stay open
        assertEquals(List.of(List.of(3), List.of(2), List.of(1), List.of(0)), members(plan));
        assertEquals(List.of(DType.F64, DType.F32, DType.F64, DType.F32), plan.stream().map(BucketPlan.Bucket::dtype).toList());
        for (var b : plan) for (int i : b.params()) assertEquals(ps.get(i).dtype(), b.dtype());
    }

    @Test
    void defaultCapsArePyTorchs() {
        assertEquals(List.of(1L << 20, 25L << 20), BucketPlan.caps(1, 25));
        // the reference MLP (940 KB of float32 gradients) fits PyTorch's 1 MiB first bucket
        var plan = BucketPlan.compute(params(200704, 256, 32768, 128, 1280, 10), BucketPlan.reverse(6), BucketPlan.caps(1, 25));
        assertEquals(1, plan.size());
    }

    @Test
    void anOrderMustBeAPermutation() {
        assertThrows(IllegalArgumentException.class, () -> BucketPlan.compute(params(1, 1), List.of(0, 0), List.of(4L)));
        assertThrows(IllegalArgumentException.class, () -> BucketPlan.compute(params(1, 1), List.of(1, 0), List.of()));
    }

    @Test
    void anObservedOrderIsFollowed() {
        var plan = BucketPlan.compute(params(100, 100, 100), List.of(0, 2, 1), List.of(400L));
        assertEquals(List.of(List.of(0), List.of(2), List.of(1)), members(plan));
    }
}
