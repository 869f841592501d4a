/**
 * Test support shared with the other modules' tests through core's test jar: the leak check every
 * test runs under, the record values tests compare, and the feeders that cut an input into reads.
 */
package io.sluice.core.testing;
