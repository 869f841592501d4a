package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * An {@link SseListener} that also takes, as it comes, a response that is not an event stream (a
 * refusal, a {@code "stream": false} JSON answer) instead of an {@link SseResponseException}: what
 * a relay that answers with the upstream's own response needs (issue 15). Its body arrives in
 * {@link #onBody} calls under the stream's backpressure ({@link SseStream#pause()}), bounded by
 * no body size, then {@link #onEnd()}, or {@link #onError} when it was cut.
 */
public interface SseResponseListener extends SseListener {

    /** The response was not a 2xx event stream; its headers are valid during this call only. */
    void onOtherResponse(HttpResponseStatus status, HttpHeaders headers);

    /** The next piece of that response's body (decoded, if it was gzip or deflate); a view, valid during this call only. */
    void onBody(ByteBuf content);
}
