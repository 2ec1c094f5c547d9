package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Values NCCL would not check but pass on to the GPU (a negative size_t, a null buffer) are
 * refused in Java, before any native call; so these run with or without libnccl.
 */
class NcclArgumentCheckTest {
    private static final long BUF = 0x7f00_0000_0000L; // never dereferenced: every call below is refused first

    private static void refused(Executable call, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String m : mentions) assertTrue(e.getMessage().contains(m), () -> "'" + e.getMessage() + "' lacks " + m);
    }

    @Test
    void negativeCountsAreRefused() {
        refused(() -> Nccl.ncclAllReduce(BUF, BUF, -1, Nccl.ncclFloat32, Nccl.ncclSum, 1L, 0L), "ncclAllReduce", "count", "-1");
        refused(() -> Nccl.ncclBroadcast(BUF, BUF, -2, Nccl.ncclFloat32, 0, 1L, 0L), "ncclBroadcast", "-2");
        refused(() -> Nccl.ncclReduce(BUF, BUF, -3, Nccl.ncclFloat32, Nccl.ncclSum, 0, 1L, 0L), "ncclReduce", "-3");
        refused(() -> Nccl.ncclAllGather(BUF, BUF, -4, Nccl.ncclFloat32, 1L, 0L), "ncclAllGather", "sendcount", "-4");
        refused(() -> Nccl.ncclReduceScatter(BUF, BUF, -5, Nccl.ncclFloat32, Nccl.ncclSum, 1L, 0L), "ncclReduceScatter", "recvcount");
        refused(() -> Nccl.ncclSend(BUF, Long.MIN_VALUE, Nccl.ncclFloat32, 0, 1L, 0L), "ncclSend");
        refused(() -> Nccl.ncclRecv(BUF, -1, Nccl.ncclFloat32, 0, 1L, 0L), "ncclRecv");
    }

    @Test
    void nullBuffersWithElementsAreRefused() {
        refused(() -> Nccl.ncclAllReduce(0L, BUF, 4, Nccl.ncclFloat32, Nccl.ncclSum, 1L, 0L), "ncclAllReduce", "sendbuff", "4");
        refused(() -> Nccl.ncclAllReduce(BUF, 0L, 4, Nccl.ncclFloat32, Nccl.ncclSum, 1L, 0L), "recvbuff");
        refused(() -> Nccl.ncclBroadcast(BUF, 0L, 4, Nccl.ncclFloat32, 0, 1L, 0L), "ncclBroadcast", "recvbuff");
        refused(() -> Nccl.ncclReduce(0L, BUF, 4, Nccl.ncclFloat32, Nccl.ncclSum, 0, 1L, 0L), "ncclReduce", "sendbuff");
        refused(() -> Nccl.ncclAllGather(BUF, 0L, 4, Nccl.ncclFloat32, 1L, 0L), "ncclAllGather", "recvbuff");
        refused(() -> Nccl.ncclReduceScatter(0L, BUF, 4, Nccl.ncclFloat32, Nccl.ncclSum, 1L, 0L), "ncclReduceScatter", "sendbuff");
        refused(() -> Nccl.ncclSend(0L, 4, Nccl.ncclFloat32, 0, 1L, 0L), "ncclSend", "sendbuff");
        refused(() -> Nccl.ncclRecv(0L, 4, Nccl.ncclFloat32, 0, 1L, 0L), "ncclRecv", "recvbuff");
    }

    @Test
    void initAllNeedsDevicesAndAMatchingList() {
        refused(() -> Nccl.ncclCommInitAll(0, null), "ncclCommInitAll", "ndev", "0");
        refused(() -> Nccl.ncclCommInitAll(2, new int[] {0}), "ncclCommInitAll", "1", "2");
        refused(NcclComm::initAll, "ncclCommInitAll");
    }

    @Test
    void initRankConfigNeedsANativeStructOfFullSize() {
        NcclUniqueId id = NcclUniqueId.fromBytes(new byte[128]);
        refused(() -> Nccl.ncclCommInitRankConfig(1, id, 0, MemorySegment.ofArray(new byte[80])), "ncclCommInitRankConfig", "80");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment tooSmall = arena.allocate(72, 8);
            refused(() -> Nccl.ncclCommInitRankConfig(1, id, 0, tooSmall), "rank 0 of 1", "80");
        }
    }
}
