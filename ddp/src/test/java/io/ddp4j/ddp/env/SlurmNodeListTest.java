package io.ddp4j.ddp.env;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SlurmNodeListTest {
    @Test
    void expandsRangesAndSinglesKeepingZeroPadding() {
        assertEquals(List.of("node01", "node02", "node03", "node04", "node07", "gpu5"), SlurmNodeList.expand("node[01-04,07],gpu5"));
        assertEquals(List.of("n08", "n09", "n10"), SlurmNodeList.expand("n[08-10]"));
    }

    @Test
    void firstHostIsTheFirstExpandedName() {
        assertEquals("node01", SlurmNodeList.firstHost("node[01-04,07],gpu5"));
        assertEquals("gpu5", SlurmNodeList.firstHost("gpu5,node[1-2]"));
        assertEquals("a-3.cluster", SlurmNodeList.firstHost("a-[3-4].cluster"));
    }

    @Test
    void severalBracketsMultiplyOut() {
        assertEquals(List.of("r1n1", "r1n2", "r2n1", "r2n2"), SlurmNodeList.expand("r[1-2]n[1-2]"));
    }

    @Test
    void malformedListsAreRejectedNamingTheList() {
        for (String bad : List.of("node[01-04", "node[a-b]", "node[5-3]", "a,,b", "")) {
            var e = assertThrows(IllegalArgumentException.class, () -> SlurmNodeList.expand(bad), bad);
            assertTrue(bad.isEmpty() || e.getMessage().contains(bad), e.getMessage());
        }
    }
}
