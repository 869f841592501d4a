/**
 * LLM provider streams on top of the SSE parser: typed deltas and the unified final message.
 *
 * <pre>
 * SseParser ─▶ {@link DeltaDecoder} ─▶ {@link Delta}s ─▶ {@link MessageAccumulator} ─▶ {@link LlmMessage}
 *              (provider detected or given)                           (snapshot any time)
 * </pre>
 * {@link io.sluice.llm.MessageCollector} is all of it as one {@link io.sluice.core.SseHandler}.
 * Providers: Anthropic Messages, OpenAI Chat Completions, OpenAI Responses, Gemini
 * {@code streamGenerateContent?alt=sse}; the per-provider mapping is {@code samples/README.md}.
 *
 * <h2>Threading and ownership</h2>
 * Everything here runs on the thread that feeds the parser (one thread per stream), like the parser.
 * {@link io.sluice.llm.Delta}s are views, reused, valid during the callback only, exactly as
 * {@link io.sluice.core.SseEvent}s are; {@link io.sluice.llm.LlmMessage} and
 * {@link io.sluice.llm.ContentBlock}s are immutable copies and may cross threads.
 *
 * <h2>Errors are data</h2>
 * Nothing a peer sends makes these classes throw: unknown types pass through as
 * {@link io.sluice.llm.DeltaKind#OTHER}, bad JSON becomes a {@link io.sluice.llm.DeltaKind#MALFORMED}
 * delta, a provider's error event an {@link io.sluice.llm.DeltaKind#ERROR}, and the message keeps
 * what arrived before any of them.
 *
 * <h2>Allocation</h2>
 * The per-event path makes no String of the data, no JSON tree, and reuses its JSON factory, delta
 * views and text buffer; text is appended to one {@code StringBuilder} per block. What remains per
 * event (one Jackson parser instance) is listed in {@link io.sluice.llm.internal.EventDecoder}.
 */
package io.sluice.llm;
