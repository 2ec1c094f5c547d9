package io.ddp4j.bindings.nccl;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * The C struct {@code ncclConfig_t} as NCCL 2.28 declares it ({@code struct ncclConfig_v22800} in
 * nccl.h), and the writer that fills one the way {@code NCCL_CONFIG_INITIALIZER} does before the
 * caller's fields. NCCL reads {@code size} first and copies at most that many bytes, and reads
 * only the fields the {@code version} knows; so a newer NCCL that appended fields takes this struct
 * as a 2.28 one and gives the rest their defaults, and an older one ignores what it does not know.
 */
public final class NcclConfigLayout {
    private NcclConfigLayout() {}

    /** The {@code magic} NCCL checks to see that the struct was initialised (else ncclInvalidArgument). */
    public static final int MAGIC = 0xcafebeef;

    /** Field for field as in the header; every field already sits at its natural alignment, so no padding. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("size"),
            JAVA_INT.withName("magic"),
            JAVA_INT.withName("version"),
            JAVA_INT.withName("blocking"),
            JAVA_INT.withName("cgaClusterSize"),
            JAVA_INT.withName("minCTAs"),
            JAVA_INT.withName("maxCTAs"),
            ADDRESS.withName("netName"),
            JAVA_INT.withName("splitShare"),
            JAVA_INT.withName("trafficClass"),
            ADDRESS.withName("commName"),
            JAVA_INT.withName("collnetEnable"),
            JAVA_INT.withName("CTAPolicy"),
            JAVA_INT.withName("shrinkShare"),
            JAVA_INT.withName("nvlsCTAs"),
            JAVA_INT.withName("nChannelsPerNetPeer"),
            JAVA_INT.withName("nvlinkCentricSched")).withName("ncclConfig_v22800");

    /** Byte offset of a field named as in C. */
    public static long offsetOf(String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    private static final long SIZE = offsetOf("size"), MAGIC_AT = offsetOf("magic"), VERSION = offsetOf("version"),
            BLOCKING = offsetOf("blocking"), CGA_CLUSTER_SIZE = offsetOf("cgaClusterSize"), MIN_CTAS = offsetOf("minCTAs"),
            MAX_CTAS = offsetOf("maxCTAs"), NET_NAME = offsetOf("netName"), SPLIT_SHARE = offsetOf("splitShare"),
            TRAFFIC_CLASS = offsetOf("trafficClass"), COMM_NAME = offsetOf("commName"), COLLNET_ENABLE = offsetOf("collnetEnable"),
            CTA_POLICY = offsetOf("CTAPolicy"), SHRINK_SHARE = offsetOf("shrinkShare"), NVLS_CTAS = offsetOf("nvlsCTAs"),
            N_CHANNELS_PER_NET_PEER = offsetOf("nChannelsPerNetPeer"), NVLINK_CENTRIC_SCHED = offsetOf("nvlinkCentricSched");

    /**
     * A new struct in {@code arena} holding {@code config}, its strings in the same arena: so
     * {@code arena} must outlive any communicator made with a commName (NCCL keeps that pointer);
     * {@link #write(NcclConfig, Arena, Arena)} keeps the strings elsewhere.
     */
    public static MemorySegment write(NcclConfig config, Arena arena) {
        return write(config, arena, arena);
    }

    /**
     * A new struct in {@code structArena} holding {@code config}, its strings in {@code stringArena}.
     * NCCL copies the struct (and netName) during the init call, but keeps the {@code commName}
     * pointer itself for the communicator's whole life, reclaim included; so the strings need an
     * arena that outlives the communicator, the struct does not.
     */
    public static MemorySegment write(NcclConfig config, Arena structArena, Arena stringArena) {
        MemorySegment s = structArena.allocate(LAYOUT);
        s.set(JAVA_LONG, SIZE, LAYOUT.byteSize());
        s.set(JAVA_INT, MAGIC_AT, MAGIC);
        s.set(JAVA_INT, VERSION, NcclVersion.HEADERS.code());
        s.set(JAVA_INT, BLOCKING, config.blocking());
        s.set(JAVA_INT, CGA_CLUSTER_SIZE, config.cgaClusterSize());
        s.set(JAVA_INT, MIN_CTAS, config.minCTAs());
        s.set(JAVA_INT, MAX_CTAS, config.maxCTAs());
        s.set(ADDRESS, NET_NAME, string(config.netName(), stringArena));
        s.set(JAVA_INT, SPLIT_SHARE, config.splitShare());
        s.set(JAVA_INT, TRAFFIC_CLASS, config.trafficClass());
        s.set(ADDRESS, COMM_NAME, string(config.commName(), stringArena));
        s.set(JAVA_INT, COLLNET_ENABLE, config.collnetEnable());
        s.set(JAVA_INT, CTA_POLICY, config.ctaPolicy());
        s.set(JAVA_INT, SHRINK_SHARE, config.shrinkShare());
        s.set(JAVA_INT, NVLS_CTAS, config.nvlsCTAs());
        s.set(JAVA_INT, N_CHANNELS_PER_NET_PEER, config.nChannelsPerNetPeer());
        s.set(JAVA_INT, NVLINK_CENTRIC_SCHED, config.nvlinkCentricSched());
        return s;
    }

    /** null is {@code NCCL_CONFIG_UNDEF_PTR} (NULL). */
    private static MemorySegment string(String s, Arena arena) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }
}
