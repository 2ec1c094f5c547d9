package io.ddp4j.ddp.pg.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ddp4j.bindings.nccl.Nccl;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NcclTypesTest {
    @Test
    void everyDtypeHasItsNcclType() {
        Map<DType, Integer> expected = new EnumMap<>(DType.class);
        expected.put(DType.F32, Nccl.ncclFloat32);
        expected.put(DType.F16, Nccl.ncclFloat16);
        expected.put(DType.BF16, Nccl.ncclBfloat16);
        expected.put(DType.F64, Nccl.ncclFloat64);
        expected.put(DType.I32, Nccl.ncclInt32);
        expected.put(DType.I64, Nccl.ncclInt64);
        expected.put(DType.U8, Nccl.ncclUint8);
        expected.put(DType.BOOL, Nccl.ncclUint8);
        assertEquals(DType.values().length, expected.size(), "a new DType needs an NCCL type");
        for (DType d : DType.values()) assertEquals(expected.get(d), NcclTypes.dataType(d), d.toString());
    }

    @Test
    void reduceOpsMapToNcclsAndBoolsBecomeOrAndAnd() {
        for (DType d : DType.values()) {
            if (d == DType.BOOL) continue;
            assertEquals(Nccl.ncclSum, NcclTypes.redOp(ReduceOp.SUM, d));
            assertEquals(Nccl.ncclAvg, NcclTypes.redOp(ReduceOp.AVG, d));
            assertEquals(Nccl.ncclMin, NcclTypes.redOp(ReduceOp.MIN, d));
            assertEquals(Nccl.ncclMax, NcclTypes.redOp(ReduceOp.MAX, d));
            assertEquals(Nccl.ncclProd, NcclTypes.redOp(ReduceOp.PRODUCT, d));
        }
        assertEquals(Nccl.ncclMax, NcclTypes.redOp(ReduceOp.SUM, DType.BOOL));
        assertEquals(Nccl.ncclMax, NcclTypes.redOp(ReduceOp.MAX, DType.BOOL));
        assertEquals(Nccl.ncclMin, NcclTypes.redOp(ReduceOp.MIN, DType.BOOL));
        assertEquals(Nccl.ncclMin, NcclTypes.redOp(ReduceOp.PRODUCT, DType.BOOL));
        var e = assertThrows(IllegalArgumentException.class, () -> NcclTypes.redOp(ReduceOp.AVG, DType.BOOL));
        assertEquals("AVG is not defined for bool; use SUM or MAX (logical or) or MIN or PRODUCT (logical and)", e.getMessage());
    }

    @Test
    void fingerprintsRoundTripAndDescribeTheOp() {
        Fingerprint f = new Fingerprint(7, Fingerprint.Kind.ALL_REDUCE, DType.BF16, ReduceOp.AVG, -1, 1000);
        MemorySegment s = f.bytes();
        assertEquals(Fingerprint.BYTES, s.byteSize());
        assertEquals(f, Fingerprint.read(s));
        assertEquals("allReduce #7 (avg, bfloat16, 1000 elements)", f.toString());
        assertEquals("reduce #2 (max, root 3, int64, 5 elements)", new Fingerprint(2, Fingerprint.Kind.REDUCE, DType.I64, ReduceOp.MAX, 3, 5).toString());
        assertEquals("allGather #0 (float32, 4 elements each)", new Fingerprint(0, Fingerprint.Kind.ALL_GATHER, DType.F32, null, -1, 4).toString());
        assertEquals("barrier #9 ()", new Fingerprint(9, Fingerprint.Kind.BARRIER, null, null, -1, 0).toString());
        assertEquals(f, Fingerprint.read(MemorySegment.ofArray(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
        assertNull(Fingerprint.read(MemorySegment.ofArray(new byte[Fingerprint.BYTES])), "zeros are no fingerprint");
        byte[] junk = new byte[Fingerprint.BYTES];
        java.util.Arrays.fill(junk, (byte) 0x5a);
        assertEquals("something unrecognisable (not a ddp4j nccl op description)", Fingerprint.describe(MemorySegment.ofArray(junk)));
    }
}
