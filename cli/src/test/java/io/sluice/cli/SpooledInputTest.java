package io.sluice.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Standard input read twice: the second pass gets what the first read, from memory or the spool file, then the rest. */
class SpooledInputTest {
    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(14).nextBytes(b);
        return b;
    }

    @Test
    void aShortFirstPassStaysInMemoryAndTheSecondReadsItThenTheRest() throws IOException {
        byte[] input = random(100_000);
        try (SpooledInput spool = new SpooledInput(new ByteArrayInputStream(input))) {
            try (InputStream first = spool.open()) {
                first.readNBytes(1000);
            }
            assertArrayEquals(input, spool.open().readAllBytes());
            assertFalse(spool.spilled());
            assertThrows(IllegalStateException.class, spool::open);
        }
    }

    @Test
    void aFirstPassBeyondTheMemoryBoundGoesToATemporaryFileDeletedOnClose() throws IOException {
        byte[] input = random(SpooledInput.IN_MEMORY * 3 + 17);
        SpooledInput spool = new SpooledInput(new ByteArrayInputStream(input));
        try (InputStream first = spool.open()) {
            first.readNBytes(SpooledInput.IN_MEMORY * 2);
            first.read();
        }
        assertTrue(spool.spilled());
        try (InputStream second = spool.open()) {
            assertArrayEquals(input, second.readAllBytes());
        }
        Path file = spool.file();
        assertTrue(Files.exists(file));
        spool.close();
        assertFalse(Files.exists(file));
    }
}
