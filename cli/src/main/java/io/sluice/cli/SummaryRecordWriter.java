package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.llm.LlmMessage;
import io.sluice.llm.MessageCollector;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code --format summary}: one report when the replay finishes, a line per fact, for people:
 *
 * <pre>
 * input        samples/anthropic-text.pcap: flow 127.0.0.1:8080-127.0.0.1:40998, 73 segments
 * response     200 OK, text/event-stream; charset=utf-8
 * events       55
 * bytes        7137
 * first byte   412.331 ms
 * first event  412.331 ms
 * event gaps   p50 21.503 ms, p90 40.127 ms, p99 58.111 ms, max 58.111 ms (54 gaps)
 * provider     anthropic
 * stop reason  end_turn
 * complete     yes
 * end          clean: every event terminated; server closed the connection (FIN)
 * </pre>
 *
 * Times are capture times from the request (else the connection's first packet); without
 * timestamps in the input they are "-". Gap percentiles come from an HdrHistogram at microsecond
 * resolution and 3 significant digits. The provider, stop reason and completeness come from the
 * llm module's {@link MessageCollector}, fed every event.
 */
final class SummaryRecordWriter implements RecordWriter {
    private static final long MAX_GAP_MICROS = 3_600_000_000L;

    private final Writer out;
    private final MessageCollector collector = MessageCollector.create();
    private final Histogram gaps = new Histogram(MAX_GAP_MICROS, 3);
    private long now = -1;
    private long firstByte = -1;
    private long firstEvent = -1;
    private long lastEvent = -1;
    private long events;
    private long bytes;
    private long incompleteTailBytes = -1;
    private long boundErrors;
    private String response;
    private HttpHeaders headers;
    private String error;

    SummaryRecordWriter(OutputStream out) {
        this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
    }

    @Override
    public void time(long nanos) {
        now = nanos;
        if (firstByte < 0) {
            firstByte = nanos;
        }
    }

    @Override
    public void event(SseEvent event) {
        collector.onEvent(event);
        events++;
        if (now >= 0) {
            if (firstEvent < 0) {
                firstEvent = now;
            } else {
                gaps.recordValue(Math.min(MAX_GAP_MICROS, Math.max(0, now - lastEvent) / 1000));
            }
            lastEvent = now;
        }
    }

    @Override
    public void retry(long millis) {
    }

    @Override
    public void comment(ByteBuf buffer, int index, int length) {
    }

    @Override
    public void boundExceeded(SseBoundExceededException error) {
        boundErrors++;
        collector.onError(error);
    }

    @Override
    public void end(long events, long bytes, long incompleteTailBytes) {
        this.bytes = bytes;
        this.incompleteTailBytes = incompleteTailBytes;
    }

    @Override
    public void httpHead(HttpResponse head) {
        headers = head.headers();
        String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE);
        response = head.status() + (type != null ? ", " + type : "");
    }

    @Override
    public void httpError(int status, byte[] body) {
        collector.httpError(status, null, headers, body, 0, body.length);
    }

    @Override
    public void transportError(String type, String message) {
        error = message;
    }

    @Override
    public void finish(String input, String transport, boolean transportClean) {
        LlmMessage message = collector.message();
        StringBuilder s = new StringBuilder();
        line(s, "input", input);
        if (response != null) {
            line(s, "response", TextRecordWriter.escaped(response));
        }
        line(s, "events", Long.toString(events));
        line(s, "bytes", Long.toString(bytes));
        line(s, "first byte", millis(firstByte));
        line(s, "first event", millis(firstEvent));
        if (gaps.getTotalCount() == 0) {
            line(s, "event gaps", "-");
        } else {
            line(s, "event gaps", "p50 " + micros(gaps.getValueAtPercentile(50))
                    + ", p90 " + micros(gaps.getValueAtPercentile(90))
                    + ", p99 " + micros(gaps.getValueAtPercentile(99))
                    + ", max " + micros(gaps.getMaxValue())
                    + " (" + gaps.getTotalCount() + (gaps.getTotalCount() == 1 ? " gap)" : " gaps)"));
        }
        if (message.provider() != null) {
            line(s, "provider", message.provider().id());
            line(s, "stop reason", message.stopReason() == null ? "-"
                    : TextRecordWriter.escaped(message.stopReason())
                            + (message.stoppedAtTokenLimit() ? " (output token limit: the text is cut off)" : ""));
            line(s, "complete", message.complete() ? "yes" : "no: the provider's terminal event did not arrive");
            if (message.error() != null) {
                line(s, "error", TextRecordWriter.escaped(message.error().type() + ": " + message.error().message()));
            }
        }
        boolean parserClean = incompleteTailBytes == 0 && boundErrors == 0;
        StringBuilder end = new StringBuilder(parserClean && transportClean && error == null ? "clean: " : "not clean: ");
        if (incompleteTailBytes > 0) {
            end.append("cut mid-event (").append(incompleteTailBytes).append(" bytes undispatched)");
        } else if (incompleteTailBytes == 0) {
            end.append("every event terminated");
        } else if (boundErrors == 0 && error == null) {
            end.append("no event stream"); // refused at its head, as a client refuses it: no body reached the parser
        } else {
            end.append("the parser stopped");
        }
        if (boundErrors > 0) {
            end.append(", ").append(boundErrors).append(boundErrors == 1 ? " bound error" : " bound errors");
        }
        if (error != null) {
            end.append("; ").append(error);
        }
        if (transport != null) {
            end.append("; ").append(transport);
        }
        line(s, "end", TextRecordWriter.escaped(end.toString()));
        if (headers != null && headers.contains("x-sluice-capture-end")) {
            // A --capture-failures file: how the live stream ended, which a file cannot always show (a timeout).
            String truncated = headers.get("x-sluice-capture-truncated");
            line(s, "captured", TextRecordWriter.escaped(headers.get("x-sluice-capture-end") + ": "
                    + headers.get("x-sluice-capture-error", "-")
                    + (truncated == null ? "" : "; the body's first " + truncated + " decoded bytes were not kept")));
        }
        try {
            out.append(s);
        } catch (IOException e) {
            throw new OutputFailedException(e);
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

    private static void line(StringBuilder s, String key, String value) {
        s.append(String.format(Locale.ROOT, "%-12s %s%n", key, value).replace(System.lineSeparator(), "\n"));
    }

    private static String millis(long nanos) {
        return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.3f ms", nanos / 1e6);
    }

    private static String micros(long micros) {
        return String.format(Locale.ROOT, "%.3f ms", micros / 1e3);
    }
}
