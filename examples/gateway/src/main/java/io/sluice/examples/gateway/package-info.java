/**
 * An LLM stream gateway built on Sluice as a library, the way a user's project embeds it.
 *
 * <p>{@link io.sluice.examples.gateway.Gateway} serves clients and runs their upstream streams on
 * one Netty event loop group: each request's {@code SseRelay} leg and its upstream stream share a
 * loop, so events are written to the client as they are parsed, with no thread or queue between,
 * and the tapped {@code MessageCollector} sees each event on that loop after its write.
 */
package io.sluice.examples.gateway;
