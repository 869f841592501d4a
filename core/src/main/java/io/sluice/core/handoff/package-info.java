/**
 * The one place where an event crosses threads: owned copies of parser events and the bounded
 * single-producer single-consumer queue that hands them from a channel's event loop to one consumer
 * thread.
 *
 * <h2>Threading</h2>
 * An {@link io.sluice.core.handoff.SseEventHandoff} has exactly one producer thread (the event loop
 * that runs the parser) and one consumer thread. Each method says which of the two may call it.
 * The consumer is given only its end, an {@link io.sluice.core.handoff.SseEventQueue}: it takes,
 * polls, drains and closes, and cannot offer, end or fail the stream it reads.
 *
 * <h2>Ownership</h2>
 * <ul>
 *   <li>An {@link io.sluice.core.handoff.OwnedSseEvent} is reference counted (a
 *       {@link io.netty.buffer.ByteBufHolder}). {@code copyOf} turns a parser's view, valid during
 *       a callback only, into one that lives until released.</li>
 *   <li>{@code offer} hands the event to the queue; {@code poll} and {@code take} hand it to the
 *       consumer, who releases it; {@code drain} releases each event after its handler returns.</li>
 *   <li>{@code close} releases every event still queued: nothing in flight leaks when a consumer
 *       gives up.</li>
 * </ul>
 */
package io.sluice.core.handoff;
