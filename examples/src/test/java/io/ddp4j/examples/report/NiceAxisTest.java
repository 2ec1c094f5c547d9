package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NiceAxisTest {

    @Test
    void rangesStartAndEndOnRoundTicks() {
        // a span of 1.66 in about 5 steps: 0.33 rounds to the next of 1, 2, 5 x 10^k, which is 0.5
        NiceAxis a = NiceAxis.covering(0.27, 1.93, 5);
        assertEquals(0.0, a.lo(), 1e-12);
        assertEquals(2.0, a.hi(), 1e-12);
        assertEquals(0.5, a.step(), 1e-12);
        assertEquals(5, a.tickCount());
        assertEquals("1.5", a.label(a.tick(3)));
        NiceAxis fine = NiceAxis.covering(0.27, 0.61, 5);
        assertEquals(0.25, fine.lo(), 1e-12);
        assertEquals(0.65, fine.hi(), 1e-12);
        assertEquals("0.35", fine.label(fine.tick(2)));
    }

    @Test
    void percentagesGetWholeNumberLabels() {
        NiceAxis a = NiceAxis.covering(54, 90, 5);
        assertEquals(50, a.lo(), 1e-12);
        assertEquals(90, a.hi(), 1e-12);
        assertEquals("60", a.label(a.tick(1)));
    }

    @Test
    void aFlatSeriesGetsARangeAroundIt() {
        NiceAxis a = NiceAxis.covering(0.5, 0.5, 5);
        assertEquals(true, a.lo() < 0.5 && a.hi() > 0.5);
        NiceAxis zero = NiceAxis.covering(0, 0, 5);
        assertEquals(true, zero.lo() < 0 && zero.hi() > 0);
        assertEquals("0.0", zero.label(-0.0));
    }
}
