package io.sluice.cli.capture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits captured packets, fed one at a time, into TCP flows, one per direction of each connection,
 * remembering of each only what identifies it ({@link TcpFlow}): the first pass over a capture,
 * which finds the flow to replay without holding the capture.
 *
 * <table>
 * <caption>Frames read</caption>
 * <tr><th>link type</th><th>frame</th></tr>
 * <tr><td>1</td><td>Ethernet II, with 802.1Q / 802.1ad tags</td></tr>
 * <tr><td>0, 108</td><td>BSD loopback (address family in host / network order)</td></tr>
 * <tr><td>12, 14, 101</td><td>raw IP</td></tr>
 * <tr><td>228, 229</td><td>raw IPv4, raw IPv6</td></tr>
 * <tr><td>113, 276</td><td>Linux cooked capture v1 and v2</td></tr>
 * </table>
 *
 * IPv4 (options skipped by the header length, fragments skipped) and IPv6 (extension headers
 * walked); the TCP data offset is honoured, so options are skipped. Frames of other link types or
 * protocols, and frames too short for their headers, are not TCP to us and are passed over.
 * A new SYN on a direction that already carried data starts a new flow (a reused port).
 *
 * <p>Memory: a few hundred bytes per flow, until {@link #narrow(TcpFlow)} forgets every
 * connection but one. Confined to one thread.
 */
public final class TcpFlows {
    private final Map<String, TcpFlow> open = new HashMap<>();
    private final Map<String, Integer> occurrences = new HashMap<>();
    private final List<TcpFlow> withData = new ArrayList<>();
    private String onlyKey;
    private String onlyReverse;

    /**
     * Routes {@code packet}'s TCP segment to its flow and notes it there.
     *
     * @return the segment, its {@code flow} set; null when the frame is not TCP or belongs to a
     *         connection {@link #narrow(TcpFlow)} left out
     */
    TcpSegment accept(Packet packet) {
        TcpSegment s = TcpSegment.parse(packet);
        if (s == null) {
            return null;
        }
        String key = s.from + "-" + s.to;
        String reverse = s.to + "-" + s.from;
        if (onlyKey != null && !key.equals(onlyKey) && !key.equals(onlyReverse)) {
            return null;
        }
        TcpFlow d = open.get(key);
        if (d == null || ((s.flags & TcpSegment.SYN) != 0 && d.hasData())) {
            TcpFlow other = open.get(reverse);
            // A bare SYN opens a connection; anything else (the SYN-ACK included) joins the reverse one.
            boolean opens = (s.flags & TcpSegment.SYN) != 0 && (s.flags & TcpSegment.ACK) == 0;
            TcpFlow.Connection c = other != null && !opens ? other.connection() : new TcpFlow.Connection(packet.timeNanos());
            int occurrence = occurrences.merge(key, 1, Integer::sum) - 1;
            d = new TcpFlow(s.from, s.to, c, occurrence);
            open.put(key, d);
        }
        if (s.length > 0 && !d.hasData()) {
            withData.add(d);
        }
        d.add(s, packet.timeNanos());
        s.flow = d;
        return s;
    }

    /** Notes {@code packet}, if it is TCP. */
    public void add(Packet packet) {
        accept(packet);
    }

    /**
     * From now on, only the connection of {@code flow} (both directions, and later flows between the
     * same endpoints) is followed; everything known about the others is dropped.
     */
    public void narrow(TcpFlow flow) {
        onlyKey = flow.from() + "-" + flow.to();
        onlyReverse = flow.to() + "-" + flow.from();
        open.keySet().removeIf(k -> !k.equals(onlyKey) && !k.equals(onlyReverse));
        occurrences.keySet().removeIf(k -> !k.equals(onlyKey) && !k.equals(onlyReverse));
        withData.removeIf(f -> !f.name().equals(onlyKey) && !f.name().equals(onlyReverse));
    }

    /** The flows that carried data, in the order their first data byte was captured. */
    public List<TcpFlow> flows() {
        return withData;
    }
}
