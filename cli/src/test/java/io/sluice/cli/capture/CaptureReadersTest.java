package io.sluice.cli.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pcap and pcapng readers and the TCP reassembler, on the samples' captures rewritten into every
 * file format, byte order, timestamp resolution, link layer and IP version they accept: the
 * server's stream must always be the sample's {@code .http}, segment for segment.
 */
class CaptureReadersTest {
    private static final Path SAMPLES = Path.of("../samples");

    private static List<Packet> packets(String sample) throws IOException {
        Capture capture = PcapReader.read(Files.readAllBytes(SAMPLES.resolve(sample + ".pcap")));
        assertNull(capture.error());
        return capture.packets();
    }

    private static TcpStream httpStream(List<Packet> packets) {
        for (TcpStream s : TcpReassembler.streams(packets)) {
            if (new String(s.prefix(7), StandardCharsets.US_ASCII).equals("HTTP/1.")) {
                return s;
            }
        }
        throw new AssertionError("no HTTP stream");
    }

    private static byte[] concat(TcpStream s) {
        byte[] all = new byte[(int) s.bytes()];
        int at = 0;
        for (TcpStream.Segment segment : s.segments()) {
            System.arraycopy(segment.data(), 0, all, at, segment.data().length);
            at += segment.data().length;
        }
        return all;
    }

    private static void assertSameStream(TcpStream expected, TcpStream actual) {
        assertEquals(expected.segments().size(), actual.segments().size());
        for (int i = 0; i < expected.segments().size(); i++) {
            assertArrayEquals(expected.segments().get(i).data(), actual.segments().get(i).data(), "segment " + i);
            assertEquals(expected.segments().get(i).timeNanos() / 1000, actual.segments().get(i).timeNanos() / 1000, "time " + i);
        }
        assertEquals(expected.end(), actual.end());
    }

    @ParameterizedTest
    @ValueSource(strings = {"anthropic-text", "anthropic-tool-use", "anthropic-thinking", "anthropic-truncated",
            "openai-chat-tools", "gemini-text"})
    void serverStreamOfEverySampleCaptureIsItsHttpResponse(String sample) throws IOException {
        TcpStream stream = httpStream(packets(sample));
        assertArrayEquals(Files.readAllBytes(SAMPLES.resolve(sample + ".http")), concat(stream));
        assertEquals(8080, stream.from().port());
        assertEquals(-1, stream.lostAt());
        assertTrue(stream.requestNanos() > stream.openNanos());
        assertTrue(stream.segments().get(0).timeNanos() > stream.requestNanos(), "the response follows the request");
    }

    @Test
    void outOfOrderAndRetransmittedSegmentsAreDeliveredOnceInOrder() throws IOException {
        // anthropic-tool-use has an out-of-order pair and a duplicate retransmission.
        TcpStream stream = httpStream(packets("anthropic-tool-use"));
        assertTrue(stream.retransmitted() > 0);
        assertEquals(TcpStream.End.FIN, stream.end());
    }

    @Test
    void sequenceNumbersWrappingPast2To32AreReassembled() throws IOException {
        List<Packet> packets = packets("anthropic-thinking");
        assertArrayEquals(Files.readAllBytes(SAMPLES.resolve("anthropic-thinking.http")), concat(httpStream(packets)));
    }

    @Test
    void connectionResetIsTheStreamsEnd() throws IOException {
        assertEquals(TcpStream.End.RST, httpStream(packets("anthropic-truncated")).end());
    }

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN/micros", "BIG_ENDIAN/nanos", "LITTLE_ENDIAN/micros", "LITTLE_ENDIAN/nanos"})
    void pcapInEitherByteOrderAndResolutionReadsTheSame(String variant) throws IOException {
        List<Packet> original = packets("anthropic-tool-use");
        ByteOrder order = variant.startsWith("BIG") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        byte[] file = CaptureFiles.pcap(original, order, variant.endsWith("nanos"), CaptureFiles.ETHERNET);
        Capture capture = PcapReader.read(file);
        assertNull(capture.error());
        assertEquals(original.size(), capture.packets().size());
        assertSameStream(httpStream(original), httpStream(capture.packets()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN/6", "LITTLE_ENDIAN/6", "LITTLE_ENDIAN/9"})
    void pcapngReadsTheSameAsPcap(String variant) throws IOException {
        List<Packet> original = packets("openai-chat-tools");
        ByteOrder order = variant.startsWith("BIG") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int resolution = Integer.parseInt(variant.substring(variant.indexOf('/') + 1));
        Capture capture = PcapReader.read(CaptureFiles.pcapng(original, order, resolution, CaptureFiles.ETHERNET));
        assertNull(capture.error());
        assertSameStream(httpStream(original), httpStream(capture.packets()));
        assertEquals(original.get(5).timeNanos(), capture.packets().get(5).timeNanos());
    }

    @ParameterizedTest
    @ValueSource(strings = {"raw IPv4", "raw IPv6", "Linux cooked IPv4", "Linux cooked v2 IPv6", "BSD loopback IPv6",
            "Ethernet IPv6"})
    void everyLinkLayerAndIpVersionGivesTheSameStream(String variant) throws IOException {
        List<Packet> original = packets("anthropic-text");
        Function<byte[], byte[]> ip = variant.endsWith("IPv6")
                ? f -> CaptureFiles.toIpv6(CaptureFiles.stripEthernet(f)) : CaptureFiles::stripEthernet;
        List<Packet> relinked;
        if (variant.startsWith("raw")) {
            relinked = CaptureFiles.relink(original, CaptureFiles.RAW, ip::apply);
        } else if (variant.startsWith("Linux cooked v2")) {
            relinked = CaptureFiles.relink(original, CaptureFiles.LINUX_SLL2, f -> CaptureFiles.sll2(ip.apply(f)));
        } else if (variant.startsWith("Linux cooked")) {
            relinked = CaptureFiles.relink(original, CaptureFiles.LINUX_SLL, f -> CaptureFiles.sll(ip.apply(f)));
        } else if (variant.startsWith("BSD")) {
            relinked = CaptureFiles.relink(original, CaptureFiles.NULL_LOOPBACK, f -> CaptureFiles.nullLoopback(ip.apply(f)));
        } else {
            relinked = CaptureFiles.relink(original, CaptureFiles.ETHERNET, f -> {
                byte[] v6 = ip.apply(f);
                byte[] frame = Arrays.copyOf(f, 14 + v6.length);
                frame[12] = (byte) 0x86;
                frame[13] = (byte) 0xDD;
                System.arraycopy(v6, 0, frame, 14, v6.length);
                return frame;
            });
        }
        Capture capture = PcapReader.read(CaptureFiles.pcap(relinked, ByteOrder.LITTLE_ENDIAN, false, relinked.get(0).linkType()));
        TcpStream stream = httpStream(capture.packets());
        assertSameStream(httpStream(original), stream);
        if (variant.endsWith("IPv6")) {
            assertEquals("[::7f00:1]:8080", stream.from().toString());
        }
    }

    @Test
    void truncatedFileKeepsThePacketsBeforeTheCut() throws IOException {
        byte[] file = Files.readAllBytes(SAMPLES.resolve("anthropic-text.pcap"));
        Capture whole = PcapReader.read(file);
        Capture cut = PcapReader.read(Arrays.copyOf(file, file.length - 10));
        assertEquals(whole.packets().size() - 1, cut.packets().size());
        TruncatedCaptureException error = assertInstanceOf(TruncatedCaptureException.class, cut.error());
        assertEquals(whole.packets().size(), error.packet());
        assertEquals(error.needed() - 10, error.available());
    }

    @Test
    void corruptRecordLengthIsAnErrorAfterTheGoodPackets() throws IOException {
        byte[] file = Files.readAllBytes(SAMPLES.resolve("anthropic-text.pcap"));
        // The second record's captured length, little-endian, at 24 + 16 + first length + 8.
        int first = (file[32] & 0xFF) | (file[33] & 0xFF) << 8;
        int at = 24 + 16 + first + 8;
        file[at + 3] = (byte) 0x7F;
        Capture capture = PcapReader.read(file);
        assertEquals(1, capture.packets().size());
        assertTrue(capture.error().getMessage().startsWith("corrupt pcap: packet 2 at file offset " + (at - 8)),
                capture.error().getMessage());
    }

    @Test
    void aMissingSegmentIsAHoleNotAWrongStream() throws IOException {
        List<Packet> original = packets("anthropic-text");
        TcpStream full = httpStream(original);
        // Drop the server's 10th data packet: everything after it waits for bytes that never come.
        List<Packet> holed = new ArrayList<>(original);
        int dataPackets = 0;
        for (int i = 0; i < holed.size(); i++) {
            byte[] f = holed.get(i).data();
            boolean fromServer = ((f[34] & 0xFF) << 8 | (f[35] & 0xFF)) == 8080;
            int ipLength = (f[16] & 0xFF) << 8 | (f[17] & 0xFF);
            if (fromServer && ipLength > 20 + ((f[46] & 0xF0) >> 2) && ++dataPackets == 10) {
                holed.remove(i);
                break;
            }
        }
        TcpStream stream = httpStream(holed);
        long before = 0;
        for (int i = 0; i < 9; i++) {
            before += full.segments().get(i).data().length;
        }
        assertEquals(before, stream.lostAt());
        assertEquals(before, stream.bytes());
        assertTrue(stream.lostBytes() > 0);
    }
}
