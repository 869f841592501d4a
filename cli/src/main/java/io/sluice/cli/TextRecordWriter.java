package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.Utf8Decoder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Records for people, a block each, UTF-8:
 *
 * <pre>
 * event content_block_delta id=42
 *   {"type":"content_block_delta", ...}
 * retry 1500
 * comment  keep-alive
 * error maxLineLength of 1048576 bytes exceeded at stream offset 1048620
 * end: 55 events, 7137 bytes, clean
 * </pre>
 *
 * Inputs with timestamps (pcap) put the capture time, from the request, before each record
 * ({@code +412.331ms event content_block_delta}); HTTP and pcap input start with the response's
 * status line ({@code response 200 OK, text/event-stream}) and end with how the connection ended.
 *
 * The data's lines are indented by two spaces. A peer controls every byte, so control characters
 * (C0 other than LF and TAB, DEL, C1) are shown as {@code \}{@code uXXXX} instead of reaching the
 * terminal, where an escape sequence could rewrite what is on screen.
 */
final class TextRecordWriter implements RecordWriter {
    private final Writer out;
    private long now = -1;

    TextRecordWriter(OutputStream out) {
        this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    }

    @Override
    public void event(SseEvent event) {
        StringBuilder block = stamped("event ");
        appendEscaped(block, event.type());
        String id = event.lastEventId();
        if (!id.isEmpty()) {
            block.append(" id=");
            appendEscaped(block, id);
        }
        block.append('\n');
        String data = event.dataAsString();
        int from = 0;
        while (true) {
            int lf = data.indexOf('\n', from);
            block.append("  ");
            appendEscaped(block, data.substring(from, lf < 0 ? data.length() : lf));
            block.append('\n');
            if (lf < 0) {
                break;
            }
            from = lf + 1;
        }
        write(block);
    }

    @Override
    public void retry(long millis) {
        write(stamped("retry ").append(millis).append('\n'));
    }

    @Override
    public void comment(ByteBuf buffer, int index, int length) {
        StringBuilder line = stamped("comment ");
        appendEscaped(line, Utf8Decoder.decode(buffer, index, length));
        write(line.append('\n'));
    }

    @Override
    public void boundExceeded(SseBoundExceededException error) {
        write("error " + error.getMessage() + '\n');
    }

    @Override
    public void end(long events, long bytes, long incompleteTailBytes) {
        StringBuilder line = new StringBuilder("end: ")
                .append(events).append(events == 1 ? " event, " : " events, ")
                .append(bytes).append(bytes == 1 ? " byte, " : " bytes, ");
        if (incompleteTailBytes == 0) {
            line.append("clean");
        } else {
            line.append("incomplete tail of ").append(incompleteTailBytes)
                    .append(incompleteTailBytes == 1 ? " byte" : " bytes").append(" (cut mid-event)");
        }
        write(line.append('\n'));
    }

    @Override
    public void time(long nanos) {
        now = nanos;
    }

    @Override
    public void httpHead(HttpResponse response) {
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        write(stamped("response ").append(escaped(response.status() + (type != null ? ", " + type : ""))).append('\n'));
    }

    @Override
    public void httpError(int status, byte[] body) {
        StringBuilder block = stamped("http error ").append(status).append('\n');
        for (String line : new String(body, StandardCharsets.UTF_8).split("\r?\n", -1)) {
            block.append("  ").append(escaped(line)).append('\n');
        }
        write(block);
    }

    @Override
    public void transportError(String type, String message) {
        write(stamped("error ").append(escaped(message)).append('\n'));
    }

    @Override
    public void finish(String input, String transport, boolean transportClean) {
        if (transport != null) {
            write("connection: " + escaped(transport) + '\n');
        }
    }

    @Override
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    private void write(CharSequence text) {
        try {
            out.append(text);
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    /** A record's first words, after its capture time when the input has timestamps. */
    private StringBuilder stamped(String first) {
        StringBuilder b = new StringBuilder();
        if (now >= 0) {
            b.append(String.format(Locale.ROOT, "+%.3fms ", now / 1e6));
        }
        return b.append(first);
    }

    /** {@code text} with every control character but LF and TAB as a visible escape. */
    static String escaped(String text) {
        StringBuilder b = new StringBuilder(text.length());
        appendEscaped(b, text);
        return b.toString();
    }

    /** Appends {@code text} with every control character but LF and TAB as a visible escape. */
    static void appendEscaped(StringBuilder to, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7F && c <= 0x9F)) {
                to.append(String.format("\\u%04X", (int) c));
            } else {
                to.append(c);
            }
        }
    }
}
