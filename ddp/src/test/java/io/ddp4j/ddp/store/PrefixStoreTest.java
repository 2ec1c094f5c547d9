package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedTimeoutException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PrefixStoreTest extends StoreContractTest {
    @Override
    Store[] openPair() {
        TCPStore server = TCPStore.host(null, 0, Duration.ofSeconds(10), null);
        Store other = TCPStore.connect("127.0.0.1", server.port(), Duration.ofSeconds(10), null);
        // the prefix views share one key space; closing them must not close the inner stores,
        // so the test closes the inner stores through these wrappers' owners below
        return new Store[] {new OwningPrefix("group/1", server), new OwningPrefix("group/1", other)};
    }

    @Test
    void keysLiveUnderThePrefixInTheInnerStore() {
        PrefixStore p = new PrefixStore("group/7", ((OwningPrefix) a).inner);
        p.set("addr/0", "x");
        assertEquals("x", ((OwningPrefix) b).inner.getString("group/7/addr/0"));
        assertFalse(((OwningPrefix) b).inner.check(List.of("addr/0")));
    }

    @Test
    void prefixesDoNotSeeEachOthersKeys() {
        Store inner = ((OwningPrefix) a).inner;
        new PrefixStore("g1", inner).set("k", "one");
        var e = assertThrows(DistributedTimeoutException.class, () -> new PrefixStore("g2", inner).get("k", SHORT));
        assertTrue(e.getMessage().contains("g2/k"), "the error names the real key: " + e.getMessage());
    }

    @Test
    void closingAPrefixStoreLeavesTheInnerStoreOpen() {
        Store inner = ((OwningPrefix) a).inner;
        new PrefixStore("g", inner).close();
        inner.set("still", "open");
        assertEquals("open", inner.getString("still"));
    }

    @Test
    void anEmptyPrefixIsABug() {
        assertThrows(IllegalArgumentException.class, () -> new PrefixStore("", ((OwningPrefix) a).inner));
    }

    /** A PrefixStore for the contract tests that also closes its inner store when closed. */
    static final class OwningPrefix implements Store {
        final Store inner;
        final PrefixStore view;

        OwningPrefix(String prefix, Store inner) {
            this.inner = inner;
            this.view = new PrefixStore(prefix, inner);
        }

        public void set(String k, byte[] v) { view.set(k, v); }
        public byte[] get(String k, Duration t) { return view.get(k, t); }
        public long add(String k, long d) { return view.add(k, d); }
        public byte[] compareSet(String k, byte[] e, byte[] d) { return view.compareSet(k, e, d); }
        public boolean delete(String k) { return view.delete(k); }
        public void wait(List<String> ks, Duration t) { view.wait(ks, t); }
        public boolean check(List<String> ks) { return view.check(ks); }
        public long numKeys() { return view.numKeys(); }
        public Duration timeout() { return view.timeout(); }
        public void close() { inner.close(); }
    }
}
