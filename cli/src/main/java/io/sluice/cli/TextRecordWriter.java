package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.Utf8Decoder;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

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
 * The data's lines are indented by two spaces. A peer controls every byte, so control characters
 * (C0 other than LF and TAB, DEL, C1) are shown as {@code \}{@code uXXXX} instead of reaching the
 * terminal, where an escape sequence could rewrite what is on screen.
 */
final class TextRecordWriter implements RecordWriter {
    private final Writer out;

    TextRecordWriter(OutputStream out) {
        this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    }

    @Override
    public void event(SseEvent event) {
        StringBuilder block = new StringBuilder("event ");
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
        write("retry " + millis + '\n');
    }

    @Override
    public void comment(ByteBuf buffer, int index, int length) {
        StringBuilder line = new StringBuilder("comment ");
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
