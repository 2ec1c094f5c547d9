package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What every Store must do. Each subclass opens two handles on one shared store ("two ranks"),
 * so every test also checks that what one rank writes, the other sees.
 */
abstract class StoreContractTest {
    static final Duration SHORT = Duration.ofMillis(300);

    Store a;
    Store b;

    /** Two handles onto one fresh store; the first may own it. */
    abstract Store[] openPair() throws Exception;

    @BeforeEach
    void open() throws Exception {
        Store[] pair = openPair();
        a = pair[0];
        b = pair[1];
    }

    @AfterEach
    void close() {
        b.close();
        a.close();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void whatOneRankSetsTheOtherGets() {
        a.set("addr/0", "10.0.0.1:4000");
        assertEquals("10.0.0.1:4000", b.getString("addr/0"));
        b.set("addr/0", "10.0.0.2:5000");
        assertEquals("10.0.0.2:5000", a.getString("addr/0"), "set replaces the value");
    }

    @Test
    void valuesAreArbitraryBytesIncludingEmptyAndLarge() {
        byte[] big = new byte[3 * 1024 * 1024 + 7];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        a.set("big", big);
        a.set("empty", new byte[0]);
        assertArrayEquals(big, b.get("big"));
        assertArrayEquals(new byte[0], b.get("empty"));
    }

    @Test
    void getWaitsUntilAnotherRankSetsTheKey() throws Exception {
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> b.getString("late", Duration.ofSeconds(10)));
        Thread.sleep(100);
        assertFalse(got.isDone(), "get must block while the key is missing");
        a.set("late", "here");
        assertEquals("here", got.get(5, TimeUnit.SECONDS));
    }

    @Test
    void getTimesOutNamingTheKey() {
        long t0 = System.nanoTime();
        var e = assertThrows(DistributedTimeoutException.class, () -> b.get("never", SHORT));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("never'"), e.getMessage());
        assertTrue(ms >= 250 && ms < 5000, "timed out after " + ms + " ms, asked for 300");
    }

    @Test
    void addCountsFromZeroAndStoresDecimalText() {
        assertEquals(1, a.add("count", 1));
        assertEquals(6, b.add("count", 5));
        assertEquals(4, a.add("count", -2));
        assertEquals("4", b.getString("count"));
    }

    @Test
    void addOnANonNumberFailsNamingTheKeyAndValue() {
        a.set("name", "alice");
        var e = assertThrows(DistributedException.class, () -> b.add("name", 1));
        assertTrue(e.getMessage().contains("name'") && e.getMessage().contains("alice"), e.getMessage());
        assertEquals("alice", a.getString("name"), "a failed add leaves the value alone");
    }

    @Test
    void concurrentAddsFromManyThreadsAreAtomic() throws Exception {
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (Store s : List.of(a, b)) {
            for (int t = 0; t < 2; t++) {
                fs.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 100; i++) s.add("n", 1);
                }));
            }
        }
        for (var f : fs) f.get(30, TimeUnit.SECONDS);
        assertEquals(400, a.add("n", 0));
    }

    @Test
    void compareSetSwapsOnlyWhenTheExpectedValueIsThere() {
        assertArrayEquals(bytes("first"), a.compareSet("leader", new byte[0], bytes("first")), "missing key + empty expected: set");
        assertArrayEquals(bytes("first"), b.compareSet("leader", new byte[0], bytes("second")), "key exists: no swap, current returned");
        assertArrayEquals(bytes("third"), b.compareSet("leader", bytes("first"), bytes("third")), "expected matches: swap");
        assertArrayEquals(new byte[0], a.compareSet("absent", bytes("x"), bytes("y")), "missing key, non-empty expected: nothing set");
        assertFalse(a.check(List.of("absent")));
    }

    @Test
    void deleteRemovesAKeyOnce() {
        a.set("k", "v");
        assertTrue(b.check(List.of("k")));
        assertTrue(b.delete("k"));
        assertFalse(a.delete("k"));
        assertFalse(a.check(List.of("k")));
        assertThrows(DistributedTimeoutException.class, () -> a.get("k", SHORT));
    }

    @Test
    void waitReturnsWhenAllKeysExist() throws Exception {
        CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> b.wait(List.of("r0", "r1", "r2"), Duration.ofSeconds(10)));
        a.set("r0", "x");
        a.set("r2", "x");
        Thread.sleep(100);
        assertFalse(waited.isDone(), "r1 is still missing");
        a.set("r1", "x");
        waited.get(5, TimeUnit.SECONDS);
    }

    @Test
    void waitTimesOutListingTheMissingKeys() {
        a.set("r0", "x");
        var e = assertThrows(DistributedTimeoutException.class, () -> b.wait(List.of("r0", "r1", "r7"), SHORT));
        assertTrue(e.getMessage().contains("still missing: [") && e.getMessage().contains("r1") && e.getMessage().contains("r7"), e.getMessage());
        assertFalse(e.getMessage().substring(e.getMessage().indexOf("still missing")).contains("r0"), e.getMessage());
    }

    @Test
    void numKeysCountsWhatIsStored() {
        long before = a.numKeys();
        a.set("x", "1");
        b.set("y", "2");
        assertEquals(before + 2, b.numKeys());
    }

    @Test
    void nonPositiveTimeoutsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> a.get("k", Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> a.wait(List.of("k"), Duration.ofSeconds(-1)));
    }

    @Test
    void closeIsIdempotentAndAClosedStoreSaysSo() {
        b.close();
        b.close();
        var e = assertThrows(IllegalStateException.class, () -> b.set("k", "v"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
