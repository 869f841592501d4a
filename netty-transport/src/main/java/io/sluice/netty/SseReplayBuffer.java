package io.sluice.netty;

/**
 * The last {@code capacity} events of one stream, numbered {@code 0, 1, 2, ...} as their ids, so
 * that a client reconnecting with {@code Last-Event-ID} gets what it missed:
 * {@link #replayAfter(String, SseEmitter)} writes every held event after that id.
 *
 * <p>Bounded by count, not bytes: the application picks a capacity that fits its event sizes.
 * Holds Strings, not buffers, so nothing here needs releasing. Thread-safe (one lock): appends
 * may come from a producer thread while replays run on event loops.
 */
public final class SseReplayBuffer {
    private final String[] types;
    private final String[] data;
    private long next;

    public SseReplayBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        types = new String[capacity];
        data = new String[capacity];
    }

    /** Keeps an event, dropping the oldest when full; returns its id, to write as the event's {@code id}. */
    public synchronized long append(String type, String eventData) {
        int slot = (int) (next % types.length);
        types[slot] = type;
        data[slot] = eventData;
        return next++;
    }

    /** The id the next {@link #append} returns. */
    public synchronized long nextId() {
        return next;
    }

    /**
     * Writes, in order and with their ids, the held events after {@code lastEventId} (all held
     * events when it is null: a first connection).
     *
     * @return false, writing nothing, when the client's id is not one this buffer gave out or is
     *     older than what it still holds: it missed events that are gone, and the application
     *     decides (start over, or send an error event)
     */
    public synchronized boolean replayAfter(String lastEventId, SseEmitter to) {
        long oldest = Math.max(0, next - types.length);
        long from;
        if (lastEventId == null) {
            from = oldest;
        } else {
            long last;
            try {
                last = Long.parseLong(lastEventId);
            } catch (NumberFormatException notOurs) {
                return false;
            }
            if (last < oldest - 1 || last >= next) {
                return false;
            }
            from = last + 1;
        }
        for (long id = from; id < next; id++) {
            int slot = (int) (id % types.length);
            to.event(types[slot], data[slot], Long.toString(id));
        }
        return true;
    }
}
