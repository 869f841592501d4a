/**
 * The provider decoders behind {@link io.sluice.llm.DeltaDecoder}: one {@link
 * io.sluice.llm.internal.EventDecoder} per provider, walking each event's JSON with Jackson's
 * streaming parser straight from the event's bytes, and the reusable {@link
 * io.sluice.llm.internal.DeltaSlots} the deltas are handed out from. Not an API: names and shapes
 * here change without notice.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Every decoder parses an event completely before it emits anything or changes its state
 *       across events, so a malformed event leaves no trace but its {@code MALFORMED} delta.</li>
 *   <li>Field names are matched as Strings (Jackson hands out canonical instances: no allocation);
 *       string <em>values</em> that select a branch ({@code "type"}) are matched as chars against
 *       tables ({@code lookup}), so no String is made per event. Strings are made only for values
 *       the message keeps.</li>
 *   <li>Confined to one thread, like the parser that feeds them.</li>
 * </ul>
 */
package io.sluice.llm.internal;
