package io.sluice.cli;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Every {@code --fault} of one {@code sluice serve}, checked to make one story: what each
 * connection gets, told by the number of events written so far. The rules:
 * <ul>
 *   <li>{@code status:CODE} is the whole answer: it combines with no other fault;</li>
 *   <li>{@code cut} and {@code error} each end the stream: one of them at most;</li>
 *   <li>{@code stall}s may be many, after different events, none after the event the stream ends at
 *       (a stall after that very event comes first: silence, then the cut or the error);</li>
 *   <li>{@code drip} once at most.</li>
 * </ul>
 * Immutable; one plan serves every connection, each counting its own events.
 */
final class FaultPlan {
    static final FaultPlan NONE = new FaultPlan(List.of(), null, null, new TreeMap<>(), 0);

    private final List<Fault> faults;
    private final Fault.Status status;
    /** The {@link Fault.Cut} or {@link Fault.ErrorEvent} that ends the stream early, or null. */
    private final Fault ending;
    private final TreeMap<Integer, Fault.Stall> stalls;
    private final int dripBytesPerSecond;

    private FaultPlan(List<Fault> faults, Fault.Status status, Fault ending, TreeMap<Integer, Fault.Stall> stalls,
                      int dripBytesPerSecond) {
        this.faults = List.copyOf(faults);
        this.status = status;
        this.ending = ending;
        this.stalls = stalls;
        this.dripBytesPerSecond = dripBytesPerSecond;
    }

    /**
     * The plan of {@code faults}, in the order given.
     *
     * @throws IllegalArgumentException naming the two faults that do not combine
     */
    static FaultPlan of(List<Fault> faults) {
        Fault.Status status = null;
        Fault ending = null;
        TreeMap<Integer, Fault.Stall> stalls = new TreeMap<>();
        Fault.Drip drip = null;
        for (Fault f : faults) {
            if (f instanceof Fault.Status s) {
                status = only(status, s, "two answers instead of the stream");
            } else if (f instanceof Fault.Cut || f instanceof Fault.ErrorEvent) {
                ending = only(ending, f, "two ends of the stream");
            } else if (f instanceof Fault.Stall s) {
                Fault.Stall before = stalls.putIfAbsent(s.after(), s);
                if (before != null) {
                    throw new IllegalArgumentException("--fault " + before + " and " + s + ": two stalls after event " + s.after()
                            + "; give one stall the whole time");
                }
            } else if (f instanceof Fault.Drip d) {
                drip = only(drip, d, "two rates");
            } else {
                throw new IllegalStateException("Unhandled fault " + f);
            }
        }
        if (status != null && faults.size() > 1) {
            Fault other = faults.stream().filter(f -> !(f instanceof Fault.Status)).findFirst().orElseThrow();
            throw new IllegalArgumentException("--fault " + status + " answers instead of the stream: it combines with no other fault ("
                    + other + ")");
        }
        if (ending != null && !stalls.isEmpty() && stalls.lastKey() > endsAfter(ending)) {
            Fault.Stall late = stalls.higherEntry(endsAfter(ending)).getValue();
            throw new IllegalArgumentException("--fault " + late + " comes after " + ending + " ends the stream");
        }
        return new FaultPlan(faults, status, ending, stalls, drip == null ? 0 : drip.bytesPerSecond());
    }

    private static <F extends Fault> F only(F first, F second, String why) {
        if (first != null) {
            throw new IllegalArgumentException("--fault " + first + " and " + second + ": " + why + "; choose one");
        }
        return second;
    }

    private static int endsAfter(Fault ending) {
        return ending instanceof Fault.Cut c ? c.after() : ((Fault.ErrorEvent) ending).after();
    }

    boolean isEmpty() {
        return faults.isEmpty();
    }

    /** The answer that replaces the stream, or null. */
    Fault.Status status() {
        return status;
    }

    /** The stall due once {@code events} events are written, or 0 nanoseconds. */
    long stallNanosAfter(int events) {
        Fault.Stall s = stalls.get(events);
        return s == null ? 0 : s.nanos();
    }

    /** The cut due once {@code events} events are written, or null. */
    Fault.Cut cutAfter(int events) {
        return ending instanceof Fault.Cut c && c.after() == events ? c : null;
    }

    /** Whether the provider's error event is due once {@code events} events are written. */
    boolean errorAfter(int events) {
        return ending instanceof Fault.ErrorEvent e && e.after() == events;
    }

    /** The body's rate bound in bytes per second; 0 for none. */
    int dripBytesPerSecond() {
        return dripBytesPerSecond;
    }

    /** Whether a fault needs the provider's error shape ({@code status}, {@code error}). */
    boolean needsProvider() {
        return status != null || ending instanceof Fault.ErrorEvent;
    }

    /** The faults naming the most events, with that count: checked against the recording's. */
    Map.Entry<Integer, Fault> furthest() {
        Map.Entry<Integer, Fault> furthest = null;
        for (Fault f : faults) {
            int after = f instanceof Fault.Cut c ? c.after() : f instanceof Fault.ErrorEvent e ? e.after()
                    : f instanceof Fault.Stall s ? s.after() : -1;
            if (after >= 0 && (furthest == null || after > furthest.getKey())) {
                furthest = Map.entry(after, f);
            }
        }
        return furthest;
    }

    /** The faults as given, comma-separated, each in its one spelling ({@code cut:3, stall:2:1}). */
    @Override
    public String toString() {
        return faults.stream().map(Fault::toString).collect(Collectors.joining(", "));
    }
}
