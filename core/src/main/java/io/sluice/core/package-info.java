/**
 * The incremental {@code text/event-stream} parser, the events it reports and the encoder that
 * writes them back.
 *
 * <h2>Threading</h2>
 * An {@link io.sluice.core.SseParser} is confined to one thread at a time (in a Netty pipeline,
 * the channel's event loop). It never blocks and never reads ahead: it is pushed bytes with
 * {@code feed} and told of the end of the stream with {@code end}. The SPSC queue is the only
 * place where an event crosses threads.
 *
 * <h2>Ownership</h2>
 * <ul>
 *   <li>The parser never takes the caller's reference to a fed {@link io.netty.buffer.ByteBuf}:
 *       the caller releases it after {@code feed} returns. Whatever the parser keeps past the call
 *       (an unfinished line, the data of an event not yet dispatched) it copies into buffers it
 *       allocates, owns and releases itself on {@code end}, {@code close} or a failure.</li>
 *   <li>An {@link io.sluice.core.SseEvent} or comment handed to an {@link io.sluice.core.SseHandler}
 *       is a <em>view</em>, valid only during the callback (as Agrona's message handlers are). A
 *       consumer that keeps it copies what it needs (for example
 *       {@link io.sluice.core.SseEvent#dataAsString()}) before returning.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * Every failure is an {@link io.sluice.core.SseException}; bounds are reported as
 * {@link io.sluice.core.SseBoundExceededException}, carrying the bound, its limit and the stream
 * offset where it was crossed.
 */
package io.sluice.core;
