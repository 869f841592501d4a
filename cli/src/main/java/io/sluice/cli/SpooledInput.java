package io.sluice.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An input that cannot be read twice (standard input) made readable twice, for a capture's two
 * passes ({@link Recording}): the bytes the first pass reads are kept, the first
 * {@value #IN_MEMORY} in memory and the rest in a temporary file, and the second pass reads them
 * again and then goes on with the rest of the input. The first pass usually stops a few packets in,
 * so a capture is spooled to disk only when choosing its stream takes the whole of it (no flow
 * qualifies, or the chosen one's handshake was not captured). The file is deleted on {@link #close()}.
 */
final class SpooledInput implements Recording.Source, AutoCloseable {
    static final int IN_MEMORY = 1 << 20;

    private final InputStream in;
    private final ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream spill;
    private int opened;

    /** Spools {@code in}, which it does not close. */
    SpooledInput(InputStream in) {
        this.in = in;
    }

    /** First call: the input, kept as it is read; second: what was kept, then the rest. */
    @Override
    public InputStream open() throws IOException {
        switch (opened++) {
            case 0:
                return new FilterInputStream(in) {
                    @Override
                    public int read() throws IOException {
                        int b = in.read();
                        if (b >= 0) {
                            keep(new byte[] {(byte) b}, 0, 1);
                        }
                        return b;
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        int n = in.read(b, off, len);
                        if (n > 0) {
                            keep(b, off, n);
                        }
                        return n;
                    }

                    @Override
                    public void close() {
                        // the input goes on in the second pass
                    }
                };
            case 1:
                InputStream kept;
                if (spill != null) {
                    spill.close();
                    kept = new SequenceInputStream(new ByteArrayInputStream(memory.toByteArray()),
                            new BufferedInputStream(Files.newInputStream(file), 1 << 16));
                } else {
                    kept = new ByteArrayInputStream(memory.toByteArray());
                }
                return new SequenceInputStream(kept, in);
            default:
                throw new IllegalStateException("standard input is read at most twice");
        }
    }

    private void keep(byte[] b, int off, int n) throws IOException {
        int inMemory = Math.min(n, IN_MEMORY - memory.size());
        memory.write(b, off, inMemory);
        if (inMemory < n) {
            if (spill == null) {
                file = Files.createTempFile("sluice-stdin-", ".spool");
                file.toFile().deleteOnExit();
                spill = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
            }
            spill.write(b, off + inMemory, n - inMemory);
        }
    }

    /** True once the spool went to a temporary file. */
    boolean spilled() {
        return file != null;
    }

    /** The temporary file, or null while the spool fits in memory. */
    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        if (spill != null) {
            spill.close();
        }
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }
}
