package io.sluice.micrometer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tag's values, at most {@code max} distinct ones: the first {@code max} seen are kept as they
 * are and any later one becomes {@link #OTHER}, so a stream of made-up model names cannot grow a
 * registry (each distinct value is a time series of every meter it tags). Thread-safe; past the
 * cap, two threads may each add one value more, never more than the threads racing.
 */
final class BoundedTagValues {
    /** What a value past the cap is folded into. */
    static final String OTHER = "other";
    /** What a missing value is written as: Prometheus wants the same tag keys on every series of a meter. */
    static final String UNKNOWN = "unknown";
    /** The longest value kept; a longer one is cut, a model name is a few dozen characters. */
    static final int MAX_LENGTH = 128;

    private final int max;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedTagValues(int max) {
        this.max = max;
    }

    /** {@code value} if it is one of the kept values or there is room for it; {@link #OTHER} if not; {@link #UNKNOWN} for null. */
    String tagValue(String value) {
        if (value == null || value.isEmpty()) {
            return UNKNOWN;
        }
        String v = value.length() > MAX_LENGTH ? value.substring(0, MAX_LENGTH) : value;
        if (seen.contains(v)) {
            return v;
        }
        if (seen.size() >= max) {
            return OTHER;
        }
        seen.add(v);
        return v;
    }
}
