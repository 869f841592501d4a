package io.sluice.cli.capture;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The second pass: one flow followed packet by packet, with a bounded out-of-order window. */
class TcpReassemblerTest {

    private static List<Packet> capture(long events, int segment, long drop) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SyntheticCapture.write(out, events, segment, drop, true);
        Capture capture = PcapReader.read(out.toByteArray());
        assertNull(capture.error());
        return capture.packets();
    }

    private static TcpFlow serverFlow(List<Packet> packets) {
        TcpFlows flows = new TcpFlows();
        packets.forEach(flows::add);
        return flows.flows().stream().filter(f -> f.name().equals(SyntheticCapture.SERVER_FLOW)).findFirst().orElseThrow();
    }

    @Test
    void moreSegmentsAfterAHoleThanTheBoundStopTheFlowAtTheHoleWithBothNumbers() throws IOException {
        List<Packet> packets = capture(2000, 100, 2);
        TcpReassembler r = new TcpReassembler(serverFlow(packets), 1 << 20, 10);
        long delivered = 0;
        for (Packet p : packets) {
            byte[] read = r.accept(p);
            delivered += read != null ? read.length : 0;
        }
        ReorderWindowExceededException e = assertInstanceOf(ReorderWindowExceededException.class, r.failure());
        long hole = SyntheticCapture.HEAD.length + 200;
        assertEquals(hole, delivered, "every byte before the hole, none after");
        assertEquals(hole, e.offset());
        assertEquals(SyntheticCapture.SERVER_FLOW, e.flow());
        assertEquals(11, e.heldSegments());
        assertEquals(10, e.maxSegments());
        assertEquals(1100, e.heldBytes());
    }

    @Test
    void moreBytesAfterAHoleThanTheBoundStopTheFlow() throws IOException {
        List<Packet> packets = capture(2000, 1000, 0);
        TcpReassembler r = new TcpReassembler(serverFlow(packets), 4096, 1000);
        packets.forEach(r::accept);
        ReorderWindowExceededException e = assertInstanceOf(ReorderWindowExceededException.class, r.failure());
        assertEquals(5000, e.heldBytes());
        assertEquals(4096, e.maxBytes());
        assertEquals(SyntheticCapture.HEAD.length, e.offset());
    }

    @Test
    void aLateSegmentWithinTheWindowFillsItsHoleAndBringsTheWaitingOnesAlong() throws IOException {
        List<Packet> inOrder = capture(500, 1000, -1);
        // The first body segment (after SYN, SYN-ACK, ACK, request, head) arrives after the next three.
        List<Packet> late = new ArrayList<>(inOrder);
        late.add(8, late.remove(5));
        TcpReassembler r = new TcpReassembler(serverFlow(late), 4096, 1000);
        List<Integer> reads = new ArrayList<>();
        for (Packet p : late) {
            byte[] read = r.accept(p);
            if (read != null) {
                reads.add(read.length);
            }
        }
        assertNull(r.failure());
        assertEquals(-1, r.lostAt());
        assertEquals(SyntheticCapture.streamBytes(500), r.delivered());
        assertEquals(List.of(SyntheticCapture.HEAD.length, 4000, 1000), reads.subList(0, 3));
    }
}
