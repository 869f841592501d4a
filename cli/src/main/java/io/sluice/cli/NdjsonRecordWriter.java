package io.sluice.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.netty.buffer.ByteBuf;
import io.sluice.core.SseBoundExceededException;
import io.sluice.core.SseEvent;
import io.sluice.core.Utf8Decoder;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The NDJSON records of docs/replay.md, one object a line (LF), UTF-8, written with
 * jackson-core's streaming generator. The key orders below are the contract; Jackson escapes
 * control characters and leaves non-ASCII characters as they are, as the contract wants.
 *
 * <pre>
 * {"type":"event","event":E,"data":D,"id":I}
 * {"type":"retry","ms":N}
 * {"type":"comment","text":T}
 * {"type":"error","error":"bound_exceeded","bound":B,"limit":N,"offset":N,"message":M}
 * {"type":"end","events":N,"bytes":N,"clean":true|false,"incomplete_tail_bytes":N}
 * </pre>
 */
final class NdjsonRecordWriter implements RecordWriter {
    static final JsonFactory FACTORY = new JsonFactoryBuilder()
            // Records are separated by our own LF, not by Jackson's default space between root values.
            .rootValueSeparator((String) null)
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            // Off by default in Jackson 2.x, which then writes an emoji as two surrogate escapes: legal JSON,
            // but the contract (and the samples' events.ndjson) leave every non-ASCII character as is.
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private final JsonGenerator json;

    NdjsonRecordWriter(OutputStream out) {
        try {
            this.json = FACTORY.createGenerator(out, JsonEncoding.UTF8);
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void event(SseEvent event) {
        try {
            json.writeStartObject();
            json.writeStringField("type", "event");
            json.writeStringField("event", event.type());
            json.writeStringField("data", event.dataAsString());
            json.writeStringField("id", event.lastEventId());
            endRecord();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void retry(long millis) {
        try {
            json.writeStartObject();
            json.writeStringField("type", "retry");
            json.writeNumberField("ms", millis);
            endRecord();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void comment(ByteBuf buffer, int index, int length) {
        try {
            json.writeStartObject();
            json.writeStringField("type", "comment");
            json.writeStringField("text", Utf8Decoder.decode(buffer, index, length));
            endRecord();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void boundExceeded(SseBoundExceededException error) {
        try {
            json.writeStartObject();
            json.writeStringField("type", "error");
            json.writeStringField("error", "bound_exceeded");
            json.writeStringField("bound", error.bound().option());
            json.writeNumberField("limit", error.limit());
            json.writeNumberField("offset", error.offset());
            json.writeStringField("message", error.getMessage());
            endRecord();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void end(long events, long bytes, long incompleteTailBytes) {
        try {
            json.writeStartObject();
            json.writeStringField("type", "end");
            json.writeNumberField("events", events);
            json.writeNumberField("bytes", bytes);
            json.writeBooleanField("clean", incompleteTailBytes == 0);
            json.writeNumberField("incomplete_tail_bytes", incompleteTailBytes);
            endRecord();
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    @Override
    public void flush() {
        try {
            json.flush(); // FLUSH_PASSED_TO_STREAM (on by default) flushes the stream below too
        } catch (IOException e) {
            throw new OutputFailedException(e);
        }
    }

    private void endRecord() throws IOException {
        json.writeEndObject();
        json.writeRaw('\n');
    }
}
