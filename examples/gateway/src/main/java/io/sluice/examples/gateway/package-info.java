/**
 * An LLM stream gateway built on Sluice as a library, the way a user's project embeds it.
 *
 * <p>{@link io.sluice.examples.gateway.Gateway} accepts clients on its own Netty event loop; each
 * request gets one relay thread, the only consumer of its upstream stream's queue. That thread owns
 * every event it takes until it releases it, and hands the client only buffers it encoded itself,
 * which Netty releases once written.
 */
package io.sluice.examples.gateway;
