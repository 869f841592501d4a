/**
 * Readers for recorded wire logs, reusable outside the command line: packet captures
 * ({@link io.sluice.cli.capture.PcapReader}, libpcap and pcapng, read as a stream one packet at a
 * time), the TCP flows in them ({@link io.sluice.cli.capture.TcpFlows}, a first pass that finds
 * each flow and its first bytes), one flow's stream ({@link io.sluice.cli.capture.TcpReassembler},
 * a second pass that reassembles it by sequence number into the reads a receiver would have made,
 * each with its capture time), and captured HTTP/1.x responses
 * ({@link io.sluice.cli.capture.HttpResponseReader}, Netty's own client codec and the client's
 * decompressor and {@code SseDecoder} in an {@code EmbeddedChannel}, so a recording is an event
 * stream exactly when a live response would be).
 *
 * <h2>Bounded memory, whatever the capture's size</h2>
 * Nothing here holds a capture (issue 14): the reader holds one record, the first pass a few
 * hundred bytes per flow (one connection's, once the flow to follow is known), the second pass the
 * segments waiting after a hole, up to a bound past which it stops with a
 * {@link io.sluice.cli.capture.ReorderWindowExceededException}. The list-returning helpers
 * ({@code PcapReader.read(byte[])}, {@code TcpReassembler.streams(List)}) hold everything and are
 * for small captures and tests.
 *
 * <h2>Errors are data</h2>
 * A capture cut short or corrupt does not lose what came before it: the readers return the packets
 * and bytes decoded so far and then report the {@link io.sluice.cli.capture.CaptureException} that
 * stopped them, and the caller replays the first and reports the second. Frames that are not TCP
 * over IPv4 or IPv6 on a known link type are passed over, not errors.
 *
 * <h2>Threading and ownership</h2>
 * Everything here is confined to the calling thread. Packets and reads are arrays the caller owns
 * once returned. The HTTP reader takes ownership of each buffer it is fed and lends each event and
 * comment to its listener only during the call.
 */
package io.sluice.cli.capture;
