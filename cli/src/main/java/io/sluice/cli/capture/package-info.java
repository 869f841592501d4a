/**
 * Readers for recorded wire logs, reusable outside the command line: packet captures
 * ({@link io.sluice.cli.capture.PcapReader}, libpcap and pcapng), the TCP streams in them
 * ({@link io.sluice.cli.capture.TcpReassembler}, reassembled by sequence number into the reads a
 * receiver would have made, each with its capture time), and captured HTTP/1.x responses
 * ({@link io.sluice.cli.capture.HttpResponseReader}, Netty's own client codec and decompressor in
 * an {@code EmbeddedChannel}).
 *
 * <h2>Errors are data</h2>
 * A capture cut short or corrupt does not lose what came before it: the readers return the packets
 * and streams decoded so far together with the {@link io.sluice.cli.capture.CaptureException} that
 * stopped them, and the caller replays the first and reports the second. Frames that are not TCP
 * over IPv4 or IPv6 on a known link type are passed over, not errors.
 *
 * <h2>Threading and ownership</h2>
 * Everything here is confined to the calling thread. Captures are read from a byte array the
 * caller owns; packets, streams and segments are immutable copies of its bytes and may cross
 * threads ({@code serve} shares one recording among all its connections). The HTTP reader takes
 * ownership of each buffer it is fed and lends the body to its listener only during the call.
 */
package io.sluice.cli.capture;
