/**
 * Server-Sent Events on Netty: {@link io.sluice.netty.SseDecoder}, the handler that turns an HTTP
 * response into owned events (after {@link io.sluice.netty.SseDecompressor}, which inflates gzip and
 * deflate a bounded step per read); {@link io.sluice.netty.SseQueueHandler}, which hands them to a
 * consumer thread through the core's SPSC queue with autoRead backpressure; and
 * {@link io.sluice.netty.SseClient}, a streaming client built on both, optionally through an HTTP
 * CONNECT or SOCKS5 {@link io.sluice.netty.SseProxy}. The server side:
 * {@link io.sluice.netty.SseResponder} answers a request with an event stream and hands the
 * application its {@link io.sluice.netty.SseEmitter}; {@link io.sluice.netty.SseReplayBuffer} keeps
 * recent events so a reconnecting client resumes after its {@code Last-Event-ID};
 * {@link io.sluice.netty.SseRequestGuard}, placed right after {@code HttpServerCodec}, bounds idle and
 * slow clients and the number of connections, and answers malformed requests before either sees them;
 * {@link io.sluice.netty.SseRelay} relays an upstream stream to each request, and
 * {@link io.sluice.netty.SseRequestAuthenticator}, placed before it, refuses ({@code 401}) the
 * requests that lack a configured credential, so a relay never lends its upstream key to anyone.
 *
 * <h2>Threading</h2>
 * Handlers, listeners and each {@link io.sluice.netty.SseStream}'s state run on one channel's event
 * loop; a stream keeps the same loop across reconnects so its queue has one producer thread. Only
 * the {@link io.sluice.core.handoff.SseEventQueue} crosses to another thread, and an
 * {@code SseEmitter}, whose calls from other threads hop to its channel's loop.
 *
 * <h2>Ownership</h2>
 * <ul>
 *   <li>{@code SseDecoder} releases every {@code HttpObject} it reads and fires
 *       {@link io.sluice.core.handoff.OwnedSseEvent}s: the next handler owns each one (the
 *       pipeline's tail releases those nobody took).</li>
 *   <li>A listener sees an event during its call only; the client releases it after.</li>
 *   <li>Queued events are the queue's until polled, then the consumer's; closing the stream
 *       releases what is still queued.</li>
 *   <li>{@code SseResponder} releases the request it reads; an {@code SseEmitter} encodes each
 *       write into a buffer it allocates and hands to the pipeline, or allocates none when the
 *       client is gone.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Each stream ends exactly once: cleanly, or with one {@link io.sluice.core.SseException}:
 * {@link io.sluice.netty.SseConnectException} (no response; an {@link io.sluice.netty.SseProxyException}
 * when the proxy would not open the tunnel),
 * {@link io.sluice.netty.SseResponseException} (a response that is not an event stream, with its
 * status, headers and body), or {@link io.sluice.netty.SseStreamException} (after the stream began:
 * closed early, timed out, cancelled; with the events and bytes received). On the server side a
 * write to a client that went away fails its future with
 * {@link io.sluice.netty.SseClientGoneException}, with the events and bytes written.
 */
package io.sluice.netty;
