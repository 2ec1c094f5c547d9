package io.ddp4j.bindings.nccl;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ncclConfig_t of NCCL 2.28 (struct ncclConfig_v22800 in src/nccl.h.in, tags v2.28.3-1 to
 * v2.28.9-1), laid out by the LP64 C rules: size_t and pointers 8 bytes, 8-aligned; ints 4.
 * The expected offsets are worked out here from the header's field order, independently of
 * the StructLayout, and the written bytes are read back at those raw offsets.
 */
class NcclConfigLayoutTest {

    private static final Map<String, Long> HEADER_OFFSETS = new LinkedHashMap<>();
    static {
        HEADER_OFFSETS.put("size", 0L);                  // size_t
        HEADER_OFFSETS.put("magic", 8L);                 // unsigned int
        HEADER_OFFSETS.put("version", 12L);              // unsigned int
        HEADER_OFFSETS.put("blocking", 16L);
        HEADER_OFFSETS.put("cgaClusterSize", 20L);
        HEADER_OFFSETS.put("minCTAs", 24L);
        HEADER_OFFSETS.put("maxCTAs", 28L);
        HEADER_OFFSETS.put("netName", 32L);              // const char*
        HEADER_OFFSETS.put("splitShare", 40L);
        HEADER_OFFSETS.put("trafficClass", 44L);
        HEADER_OFFSETS.put("commName", 48L);             // const char*
        HEADER_OFFSETS.put("collnetEnable", 56L);
        HEADER_OFFSETS.put("CTAPolicy", 60L);
        HEADER_OFFSETS.put("shrinkShare", 64L);
        HEADER_OFFSETS.put("nvlsCTAs", 68L);
        HEADER_OFFSETS.put("nChannelsPerNetPeer", 72L);
        HEADER_OFFSETS.put("nvlinkCentricSched", 76L);
    }

    private static final String[] INT_FIELDS = {"blocking", "cgaClusterSize", "minCTAs", "maxCTAs", "splitShare",
            "trafficClass", "collnetEnable", "CTAPolicy", "shrinkShare", "nvlsCTAs", "nChannelsPerNetPeer", "nvlinkCentricSched"};

    @Test
    void sizeAndAlignmentAreThoseOfTheCStruct() {
        assertEquals(80, NcclConfigLayout.LAYOUT.byteSize());
        assertEquals(8, NcclConfigLayout.LAYOUT.byteAlignment());
    }

    @Test
    void everyFieldSitsAtItsHeaderOffsetInHeaderOrder() {
        assertEquals(HEADER_OFFSETS.size(), NcclConfigLayout.LAYOUT.memberLayouts().size());
        int i = 0;
        for (var e : HEADER_OFFSETS.entrySet()) {
            assertEquals(e.getKey(), NcclConfigLayout.LAYOUT.memberLayouts().get(i++).name().orElseThrow());
            assertEquals(e.getValue(), NcclConfigLayout.offsetOf(e.getKey()), e.getKey());
        }
    }

    @Test
    void defaultsAreWhatNcclConfigInitializerSets() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = NcclConfigLayout.write(NcclConfig.DEFAULTS, arena);
            assertEquals(80L, s.get(JAVA_LONG, 0));                     // sizeof(ncclConfig_t)
            assertEquals(0xcafebeef, s.get(JAVA_INT, 8));               // magic
            assertEquals(22803, s.get(JAVA_INT, 12));                   // NCCL_VERSION(2, 28, 3)
            for (String f : INT_FIELDS) {
                assertEquals(Integer.MIN_VALUE, s.get(JAVA_INT, HEADER_OFFSETS.get(f)), f); // NCCL_CONFIG_UNDEF_INT = INT_MIN
            }
            assertEquals(0L, s.get(ADDRESS, 32).address());             // netName: NCCL_CONFIG_UNDEF_PTR = NULL
            assertEquals(0L, s.get(ADDRESS, 48).address());             // commName
        }
    }

    @Test
    void writesEachSetFieldWhereNcclReadsIt() {
        NcclConfig c = new NcclConfig(0, 2, 3, 5, "Socket", 1, 7, "ddp4j-test", 1, NcclConfig.CTA_POLICY_EFFICIENCY,
                0, 11, 13, 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = NcclConfigLayout.write(c, arena);
            int[] expected = {0, 2, 3, 5, 1, 7, 1, 1, 0, 11, 13, 1};
            for (int i = 0; i < INT_FIELDS.length; i++) {
                assertEquals(expected[i], s.get(JAVA_INT, HEADER_OFFSETS.get(INT_FIELDS[i])), INT_FIELDS[i]);
            }
            assertEquals("Socket", s.get(ADDRESS, 32).reinterpret(64).getString(0));
            assertEquals("ddp4j-test", s.get(ADDRESS, 48).reinterpret(64).getString(0));
            assertEquals(0xcafebeef, s.get(JAVA_INT, 8));
        }
    }

    @Test
    void withersChangeOnlyTheirField() {
        NcclConfig c = NcclConfig.DEFAULTS.nonBlocking().withCommName("x").withCtas(2, 4);
        assertEquals(0, c.blocking());
        assertEquals("x", c.commName());
        assertEquals(2, c.minCTAs());
        assertEquals(4, c.maxCTAs());
        assertEquals(NcclConfig.UNDEF_INT, c.cgaClusterSize());
        assertEquals(null, c.netName());
        assertEquals(false, c.isBlocking());
        assertEquals(true, NcclConfig.DEFAULTS.isBlocking());
    }
}
