package io.sluice.netty;

import io.sluice.core.SseException;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code .http} file of a failed stream, made from its sealed {@link FailureRecorder}: an
 * HTTP/1.1 response that {@code sluice replay} and {@code sluice serve} read as any recorded one,
 * so they decode it as the live client did and end it as it ended.
 *
 * <p>Two forms, chosen by what was kept:
 * <ul>
 *   <li><b>wire</b> ({@code x-sluice-capture-body: wire}): the whole body fitted, so the file is the
 *       response as received: head and body byte for byte, chunk framing and gzip included, so a
 *       bad chunk size or a broken gzip stream fails again where it failed, and a cut body is cut
 *       at the same byte. Only the head changes: redacted values, and the capture's lines added at
 *       its end.</li>
 *   <li><b>decoded</b> ({@code x-sluice-capture-body: decoded}): bytes were dropped from the body's
 *       start. Raw bytes from a stream's middle cannot be replayed (a chunk's size line may be gone,
 *       and gzip cannot be inflated without its start), so the file holds the decoded tail from its
 *       first event boundary on, behind the recorded head less its framing and coding
 *       ({@code content-length}, {@code transfer-encoding}, {@code content-encoding}), sent
 *       {@code chunked}, with {@code x-sluice-capture-truncated} saying how many decoded bytes came
 *       before. It ends as the stream did: no last chunk for a cut or a timeout (replay: cut);
 *       a chunk size line no decoder accepts for a malformed response (replay: malformed); the
 *       last chunk for a refusal, which had ended whole. Its events are the last ones the client
 *       saw; an {@code id} set before the kept tail is not carried.</li>
 * </ul>
 * The writer thread's; every method is pure.
 */
final class FailureCaptureFile {
    /** The prefix of every line the capture adds to the response head. */
    static final String HEADER_PREFIX = "x-sluice-capture-";
    static final String REDACTED = "<redacted>";
    /** A chunk size line no HTTP decoder takes ({@code n} is no hex digit): the decoded form's malformed end. */
    static final String MALFORMED_CHUNK_SIZE = "not-a-chunk-size-sluice-capture";
    private static final int MAX_MESSAGE = 300;

    private FailureCaptureFile() {
    }

    /** The file's bytes. */
    static byte[] render(FailureRecorder r, SseRequest request, SseException error, Instant at) {
        SseFailureCapture options = r.options;
        List<String> notes = new ArrayList<>();
        notes.add("end: " + error.errorType());
        notes.add("error: " + printable(String.valueOf(error.getMessage())));
        notes.add("time: " + at);
        notes.add("upstream: " + request.uri().getScheme() + "://" + authority(request)
                + redactTarget(request.target(), options.redactQueryParameters()));
        if (r.flow != null) {
            notes.add("flow: " + r.flow);
        }
        if (error instanceof SseStreamException stream) {
            notes.add("events: " + stream.events());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] head = r.responseHead.toByteArray();
        if (!r.responseHead.ended()) {
            // A head without its end (over the codec's bounds, or cut inside): nothing to add to,
            // and replay refuses it as the client did.
            out.writeBytes(head);
            out.writeBytes(r.rawBody.toByteArray());
            return out.toByteArray();
        }
        List<String> lines = headLines(head);
        List<String> requestLines = headLines(r.requestHead.toByteArray());
        if (r.rawBody.dropped() == 0) {
            notes.add("body: wire");
            writeHead(out, lines, null, notes, requestLines, options);
            out.writeBytes(r.rawBody.toByteArray());
            return out.toByteArray();
        }
        byte[] decoded = r.decodedBody.toByteArray();
        int start = r.decodedBody.dropped() == 0 ? 0 : firstEventStart(decoded);
        notes.add("body: decoded");
        notes.add("truncated: " + (r.decodedBody.dropped() + start));
        writeHead(out, lines, Set.of("content-length", "transfer-encoding", "content-encoding"), notes, requestLines, options);
        int length = decoded.length - start;
        if (length > 0) {
            ascii(out, Integer.toHexString(length) + "\r\n");
            out.write(decoded, start, length);
            ascii(out, "\r\n");
        }
        if (error instanceof SseMalformedResponseException) {
            ascii(out, MALFORMED_CHUNK_SIZE + "\r\n");
        } else if (error instanceof SseResponseException) {
            ascii(out, "0\r\n\r\n");
        }
        return out.toByteArray();
    }

    /**
     * The head's lines (status line first) without their line ends and without the blank line;
     * as ISO-8859-1, the bytes as they were.
     */
    static List<String> headLines(byte[] head) {
        List<String> lines = new ArrayList<>();
        String text = new String(head, StandardCharsets.ISO_8859_1);
        for (String line : text.split("\n", -1)) {
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return lines;
    }

    /**
     * The response head, {@code dropped} headers left out (null: none), every redacted value
     * replaced, a {@code transfer-encoding: chunked} when the framing was dropped, then the
     * capture's notes and the request head as {@code x-sluice-capture-*} lines.
     */
    private static void writeHead(ByteArrayOutputStream out, List<String> lines, Set<String> dropped, List<String> notes,
                                  List<String> requestLines, SseFailureCapture options) {
        boolean skipping = false; // the folded continuations of a header left out or redacted go with it
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            String name = headerName(line);
            if (i == 0) {
                ascii(out, line + "\r\n"); // the status line
            } else if (line.startsWith(" ") || line.startsWith("\t")) {
                if (!skipping) {
                    ascii(out, line + "\r\n");
                }
            } else if (name != null && dropped != null && dropped.contains(name)) {
                skipping = true;
            } else if (name != null && options.redactHeaders().contains(name)) {
                ascii(out, redactedLine(line) + "\r\n");
                skipping = true;
            } else {
                ascii(out, line + "\r\n");
                skipping = false;
            }
        }
        if (dropped != null) {
            ascii(out, "transfer-encoding: chunked\r\n");
        }
        for (String note : notes) {
            ascii(out, HEADER_PREFIX + note + "\r\n");
        }
        for (int i = 0; i < requestLines.size(); i++) {
            String line = requestLines.get(i);
            ascii(out, HEADER_PREFIX + "request: " + (i == 0 ? redactRequestLine(line, options.redactQueryParameters())
                    : redactHeaderLine(line, options.redactHeaders())) + "\r\n");
        }
        ascii(out, "\r\n");
    }

    /** The header line with its value replaced when its name is in {@code names}. */
    static String redactHeaderLine(String line, Set<String> names) {
        String name = headerName(line);
        return name != null && names.contains(name) ? redactedLine(line) : line;
    }

    private static String redactedLine(String line) {
        return line.substring(0, line.indexOf(':')) + ": " + REDACTED;
    }

    /** A header line's name in lower case; null for a line that is no header. */
    private static String headerName(String line) {
        int colon = line.indexOf(':');
        return colon <= 0 ? null : line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
    }

    /** {@code METHOD TARGET VERSION} with the target's secret query values replaced. */
    static String redactRequestLine(String line, Set<String> parameters) {
        int first = line.indexOf(' ');
        int last = line.lastIndexOf(' ');
        if (first < 0 || last <= first) {
            return line;
        }
        return line.substring(0, first + 1) + redactTarget(line.substring(first + 1, last), parameters) + line.substring(last);
    }

    /** A request target ({@code /path?a=1&key=K}) with the values of the named query parameters replaced. */
    static String redactTarget(String target, Set<String> parameters) {
        int q = target.indexOf('?');
        if (q < 0) {
            return target;
        }
        StringBuilder redacted = new StringBuilder(target.length()).append(target, 0, q + 1);
        String[] pairs = target.substring(q + 1).split("&", -1);
        for (int i = 0; i < pairs.length; i++) {
            if (i > 0) {
                redacted.append('&');
            }
            int eq = pairs[i].indexOf('=');
            String name = (eq < 0 ? pairs[i] : pairs[i].substring(0, eq)).toLowerCase(Locale.ROOT);
            redacted.append(eq >= 0 && parameters.contains(name) ? pairs[i].substring(0, eq + 1) + REDACTED : pairs[i]);
        }
        return redacted.toString();
    }

    /**
     * Where the first whole event of a body that starts mid-stream begins: just after its first
     * blank line (two line ends in a row, each CR LF, LF or CR, as the SSE standard ends lines),
     * or the body's end when it has none. What comes before is a cut event's end.
     */
    static int firstEventStart(byte[] body) {
        boolean afterLineEnd = false;
        for (int i = 0; i < body.length; i++) {
            byte b = body[i];
            if (b == '\r' || b == '\n') {
                int end = b == '\r' && i + 1 < body.length && body[i + 1] == '\n' ? i + 2 : i + 1;
                if (afterLineEnd) {
                    return end;
                }
                afterLineEnd = true;
                i = end - 1;
            } else {
                afterLineEnd = false;
            }
        }
        return body.length;
    }

    private static String authority(SseRequest request) {
        String host = request.uri().getHost();
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + request.port();
    }

    /** Printable ASCII on one line, at most {@value #MAX_MESSAGE} characters: a header value. */
    static String printable(String text) {
        StringBuilder s = new StringBuilder(Math.min(text.length(), MAX_MESSAGE));
        for (int i = 0; i < text.length() && s.length() < MAX_MESSAGE; i++) {
            char c = text.charAt(i);
            s.append(c >= 0x20 && c < 0x7f ? c : c == '\n' || c == '\r' || c == '\t' ? ' ' : '?');
        }
        return s.toString();
    }

    private static void ascii(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
    }
}
