package io.ddp4j.ddp.store;

import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class TCPStoreTest extends StoreContractTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Override
    Store[] openPair() {
        TCPStore server = TCPStore.host(null, 0, TIMEOUT, null);
        return new Store[] {server, TCPStore.connect("127.0.0.1", server.port(), TIMEOUT, null)};
    }

    @Test
    void bindsToLoopbackUnlessToldOtherwise() {
        try (TCPStoreServer server = TCPStoreServer.start(null, 0, null)) {
            assertTrue(server.bindAddress().isLoopbackAddress(), "bound to " + server.bindAddress());
        }
    }

    @Test
    void aClientWithTheRightTokenIsServed() {
        try (TCPStore host = TCPStore.host("127.0.0.1", 0, TIMEOUT, "s3cret");
             TCPStore client = TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, "s3cret")) {
            client.set("k", "v");
            assertEquals("v", host.getString("k"));
        }
    }

    @Test
    void aWrongTokenIsRefusedWithAClearErrorAndQuickly() {
        try (TCPStore host = TCPStore.host("127.0.0.1", 0, TIMEOUT, "s3cret")) {
            long t0 = System.nanoTime();
            var wrong = assertThrows(DistributedException.class, () -> TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, "guess"));
            assertTrue(wrong.getMessage().contains("refused") && wrong.getMessage().contains("DDP4J_STORE_TOKEN")
                    && wrong.getMessage().contains("does not match"), wrong.getMessage());
            var missing = assertThrows(DistributedException.class, () -> TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, null));
            assertTrue(missing.getMessage().contains("is not set"), missing.getMessage());
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000, "a refusal must not be retried until the timeout");
            assertFalse(host.check(List.of("anything")), "the server still serves its rightful client");
        }
    }

    @Test
    void aStoreThatNeverComesUpTimesOutNamingTheAddress() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free now, and nobody listens on it after this block
        }
        int p = port;
        long t0 = System.nanoTime();
        var e = assertThrows(DistributedTimeoutException.class, () -> TCPStore.connect("127.0.0.1", p, Duration.ofMillis(700), null));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(e.getMessage().contains("127.0.0.1:" + p) && e.getMessage().contains("connecting"), e.getMessage());
        assertTrue(ms >= 600 && ms < 5000, "gave up after " + ms + " ms");
    }

    @Test
    void clientsMayStartBeforeTheServer() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        int p = port;
        CompletableFuture<TCPStore> early = CompletableFuture.supplyAsync(() -> TCPStore.connect("127.0.0.1", p, TIMEOUT, "t"));
        Thread.sleep(300);
        try (TCPStore host = TCPStore.host("127.0.0.1", p, TIMEOUT, "t"); TCPStore client = early.get(10, TimeUnit.SECONDS)) {
            client.set("hello", "world");
            assertEquals("world", host.getString("hello"));
        }
    }

    @Test
    void aClientBlockedInGetFailsClearlyWhenTheServerGoesAway() throws Exception {
        TCPStore host = TCPStore.host("127.0.0.1", 0, TIMEOUT, null);
        try (TCPStore client = TCPStore.connect("127.0.0.1", host.port(), TIMEOUT, null)) {
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> client.get("never", Duration.ofSeconds(30)));
            Thread.sleep(200);
            host.close();
            var e = assertThrows(java.util.concurrent.ExecutionException.class, () -> got.get(10, TimeUnit.SECONDS));
            assertInstanceOf(DistributedException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("127.0.0.1:" + host.port()), e.getCause().getMessage());
        }
    }

    @Test
    void garbageOnTheStorePortIsDroppedWithoutHarm() throws Exception {
        try (TCPStore host = TCPStore.host("127.0.0.1", 0, TIMEOUT, null)) {
            try (Socket s = new Socket("127.0.0.1", host.port())) {
                s.getOutputStream().write("GET / HTTP/1.1\r\n\r\n".getBytes());
                s.setSoTimeout(5000);
                assertEquals(-1, s.getInputStream().read(), "the server hangs up on a stranger");
            }
            host.set("still", "fine");
            assertEquals("fine", host.getString("still"));
        }
    }

    @Test
    void badPortsAndHostsAreRejectedUpFront() {
        assertThrows(IllegalArgumentException.class, () -> TCPStore.connect("127.0.0.1", 0, TIMEOUT, null));
        assertThrows(IllegalArgumentException.class, () -> TCPStore.connect("", 29500, TIMEOUT, null));
        assertThrows(IllegalArgumentException.class, () -> TCPStoreServer.start(null, 70000, null));
    }
}
