/**
 * Hot-path helpers of the parser, not part of the API: the line-end scan and the table that turns
 * event-type bytes into shared Strings. Each is confined to the thread of the parser that uses it.
 */
package io.sluice.core.internal;
