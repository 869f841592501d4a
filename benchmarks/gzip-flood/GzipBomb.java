import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * Writes a recorded HTTP response for {@code sluice serve}: 1.2 GB of tiny events ({@code data: x})
 * in about 2.3 MB of gzip, the flood of issue 14. {@code java GzipBomb.java OUT.http [BYTES]}
 */
public class GzipBomb {
    public static void main(String[] args) throws IOException {
        long total = args.length > 1 ? Long.parseLong(args[1]) : 1_200_000_000L;
        byte[] block = "data: x\n\n".repeat(1 << 16).getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        long written = 0;
        try (OutputStream out = new GZIPOutputStream(gzip, 1 << 16)) {
            for (; written < total; written += block.length) {
                out.write(block);
            }
        }
        String head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
                + "content-length: " + gzip.size() + "\r\n\r\n";
        try (OutputStream out = Files.newOutputStream(Path.of(args[0]))) {
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            gzip.writeTo(out);
        }
        System.out.println(gzip.size() + " bytes of gzip for " + written + " bytes of events");
    }
}
