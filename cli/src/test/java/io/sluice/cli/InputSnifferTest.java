package io.sluice.cli;

import io.sluice.cli.InputSniffer.Sniffed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code --input auto} tells the inputs replay will read later from an SSE body, and gives every byte back. */
class InputSnifferTest {

    private static Sniffed sniff(byte[] input) throws IOException {
        return InputSniffer.sniff(new BufferedInputStream(new ByteArrayInputStream(input)));
    }

    @Test
    void httpStatusLineIsHttp() throws IOException {
        assertEquals(Sniffed.HTTP, sniff(SluiceRunner.utf8("HTTP/1.1 200 OK\r\n")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a1b2c3d4", "d4c3b2a1", "a1b23c4d", "4d3cb2a1", "0a0d0d0a"})
    void pcapAndPcapngMagicNumbersArePcap(String magic) throws IOException {
        assertEquals(Sniffed.PCAP, sniff(HexFormat.of().parseHex(magic + "00000000")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"data: x\n\n", "HTTP", "HTTP/2 200\r\n", ": HTTP/1.1\n", ""})
    void anythingElseIsSse(String input) throws IOException {
        assertEquals(Sniffed.SSE, sniff(SluiceRunner.utf8(input)));
    }

    @Test
    void sniffingGivesEveryByteBack() throws IOException {
        byte[] input = SluiceRunner.utf8("HTTP/1.1 200 OK\r\n");
        InputStream in = new BufferedInputStream(new ByteArrayInputStream(input));
        InputSniffer.sniff(in);
        assertArrayEquals(input, in.readAllBytes());
    }

    @Test
    void anSseStreamIsTellableFromItsFirstByte() throws IOException {
        // A live stream must not wait for bytes the sniffer does not need: here there is only one.
        InputStream oneByteThenBlock = new InputStream() {
            private boolean given;

            @Override
            public int read() {
                if (given) {
                    throw new AssertionError("read past the first byte");
                }
                given = true;
                return 'd';
            }
        };
        assertEquals(Sniffed.SSE, InputSniffer.sniff(new BufferedInputStream(oneByteThenBlock, 1)));
    }
}
