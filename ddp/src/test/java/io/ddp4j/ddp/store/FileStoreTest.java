package io.ddp4j.ddp.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

class FileStoreTest extends StoreContractTest {
    @TempDir
    Path dir;

    @Override
    Store[] openPair() {
        Path file = dir.resolve("rendezvous");
        return new Store[] {new FileStore(file, Duration.ofSeconds(10)), new FileStore(file, Duration.ofSeconds(10))};
    }

    @Test
    void theLastUserToCloseDeletesTheFile() {
        Path file = dir.resolve("job");
        FileStore one = new FileStore(file, Duration.ofSeconds(5));
        FileStore two = new FileStore(file, Duration.ofSeconds(5));
        one.set("k", "v");
        one.close();
        assertTrue(Files.exists(file), "two still uses it");
        assertEquals("v", two.getString("k"));
        two.close();
        assertFalse(Files.exists(file));
    }

    @Test
    void aStoreOpenedLaterSeesEverythingWrittenBefore() {
        Path file = dir.resolve("late");
        try (FileStore early = new FileStore(file, Duration.ofSeconds(5))) {
            early.set("a", "1");
            early.add("n", 41);
            early.set("gone", "x");
            early.delete("gone");
            try (FileStore late = new FileStore(file, Duration.ofSeconds(5))) {
                assertEquals("1", late.getString("a"));
                assertEquals(42, late.add("n", 1));
                assertFalse(late.check(java.util.List.of("gone")));
                assertEquals(2, late.numKeys(), "its own bookkeeping key is not counted");
            }
        }
    }
}
