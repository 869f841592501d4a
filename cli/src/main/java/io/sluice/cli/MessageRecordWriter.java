package io.sluice.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.llm.MessageCollector;

import java.io.IOException;
import java.io.OutputStream;

/**
 * {@code --format message}: the final message of docs/llm.md, written once when the replay
 * finishes, indented two spaces a level ({@code "key": value}, LF line ends), the layout of the
 * samples' {@code .expected.json}. Events go to a {@link MessageCollector} (provider detected from
 * the stream); a bound error, a transport error or an HTTP error response become its {@code error},
 * so the partial message is still printed. An HTTP error response also names its provider, from its
 * body and headers (a recording has no request path to tell OpenAI's two APIs apart).
 */
final class MessageRecordWriter implements RecordWriter {
    private final OutputStream out;
    private final MessageCollector collector = MessageCollector.create();
    private HttpHeaders headers;

    MessageRecordWriter(OutputStream out) {
        this.out = out;
    }

    @Override
    public void event(SseEvent event) {
        collector.onEvent(event);
    }

    @Override
    public void retry(long millis) {
    }

    @Override
    public void comment(ByteBuf buffer, int index, int length) {
    }

    @Override
    public void boundExceeded(SseBoundExceededException error) {
        collector.onError(error);
    }

    @Override
    public void end(long events, long bytes, long incompleteTailBytes) {
        collector.onEnd(incompleteTailBytes);
    }

    @Override
    public void httpHead(HttpResponse response) {
        headers = response.headers();
    }

    @Override
    public void httpError(int status, byte[] body) {
        collector.httpError(status, null, headers, body, 0, body.length);
    }

    @Override
    public void transportError(String type, String message) {
        collector.transportError(type, message);
    }

    @Override
    public void finish(String input, String transport, boolean transportClean) {
        try {
            JsonGenerator json = NdjsonRecordWriter.FACTORY.createGenerator(out, JsonEncoding.UTF8);
            DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
            json.setPrettyPrinter(new DefaultPrettyPrinter()
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(indenter)
                    .withArrayIndenter(indenter));
            collector.writeJson(json);
            json.writeRaw('\n');
            json.flush();
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
}
