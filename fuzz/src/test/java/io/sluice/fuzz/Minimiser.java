package io.sluice.fuzz;

import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Shrinks a failing {@link ChunkedInput} so a report shows the few bytes and cuts that matter:
 * delta debugging (Zeller's ddmin) over the bytes, removing chunks at halving granularity, then
 * single bytes, then each byte replaced by {@code 'a'}, then the cuts one by one; repeated until a
 * whole round changes nothing. Removing bytes moves the cuts with them, so every candidate stays
 * valid (cuts ascending, inside the input) and the predicate never sees a malformed case.
 */
final class Minimiser {
    /** Enough for inputs of a few KiB; a report with a half-shrunk case beats a hung build. */
    static final int DEFAULT_BUDGET = 20_000;

    private final Predicate<ChunkedInput> stillFails;
    private int budget;
    private ChunkedInput best;

    private Minimiser(ChunkedInput failing, Predicate<ChunkedInput> stillFails, int budget) {
        this.best = failing;
        this.stillFails = stillFails;
        this.budget = budget;
    }

    static ChunkedInput minimise(ChunkedInput failing, Predicate<ChunkedInput> stillFails) {
        return minimise(failing, stillFails, DEFAULT_BUDGET);
    }

    /** The smallest case found that still fails; {@code failing} itself if nothing smaller does. */
    static ChunkedInput minimise(ChunkedInput failing, Predicate<ChunkedInput> stillFails, int budget) {
        Minimiser m = new Minimiser(failing, stillFails, budget);
        boolean progress = true;
        while (progress && m.budget > 0) {
            progress = m.removeChunks() | m.removeBytes() | m.simplifyBytes() | m.removeCuts();
        }
        return m.best;
    }

    /** ddmin: try removing each of n chunks; on success coarsen, otherwise halve the chunk size. */
    private boolean removeChunks() {
        boolean progress = false;
        int n = 2;
        while (best.bytes().length >= 2 && budget > 0) {
            int length = best.bytes().length;
            int chunk = (length + n - 1) / n;
            boolean removed = false;
            for (int from = 0; from < length && budget > 0; from += chunk) {
                if (accept(remove(best, from, Math.min(length, from + chunk)))) {
                    removed = true;
                    break;
                }
            }
            if (removed) {
                progress = true;
                n = Math.max(n - 1, 2);
            } else if (chunk > 1) {
                n = Math.min(length, 2 * n);
            } else {
                break;
            }
        }
        return progress;
    }

    private boolean removeBytes() {
        boolean progress = false;
        for (int i = best.bytes().length - 1; i >= 0 && budget > 0; i--) {
            if (i < best.bytes().length && accept(remove(best, i, i + 1))) {
                progress = true;
            }
        }
        return progress;
    }

    private boolean simplifyBytes() {
        boolean progress = false;
        for (int i = 0; i < best.bytes().length && budget > 0; i++) {
            if (best.bytes()[i] != 'a') {
                byte[] bytes = best.bytes().clone();
                bytes[i] = 'a';
                progress |= accept(new ChunkedInput(bytes, best.cuts()));
            }
        }
        return progress;
    }

    private boolean removeCuts() {
        boolean progress = false;
        for (int k = best.cuts().length - 1; k >= 0 && budget > 0; k--) {
            if (k < best.cuts().length) {
                int[] cuts = best.cuts();
                int[] fewer = new int[cuts.length - 1];
                System.arraycopy(cuts, 0, fewer, 0, k);
                System.arraycopy(cuts, k + 1, fewer, k, cuts.length - k - 1);
                progress |= accept(new ChunkedInput(best.bytes(), fewer));
            }
        }
        return progress;
    }

    private boolean accept(ChunkedInput candidate) {
        budget--;
        boolean fails;
        try {
            fails = stillFails.test(candidate);
        } catch (RuntimeException | AssertionError e) {
            fails = true; // still broken, if differently; the report shows the final failure
        }
        if (fails) {
            best = candidate;
        }
        return fails;
    }

    /**
     * {@code in} without bytes {@code [from, to)}. A cut inside the removed range moves to its start
     * and a cut after it moves left with the bytes, so chunks keep their boundaries; cuts that fall
     * together or onto an end of the input are dropped.
     */
    static ChunkedInput remove(ChunkedInput in, int from, int to) {
        byte[] bytes = new byte[in.bytes().length - (to - from)];
        System.arraycopy(in.bytes(), 0, bytes, 0, from);
        System.arraycopy(in.bytes(), to, bytes, from, in.bytes().length - to);
        int[] cuts = new int[in.cuts().length];
        int count = 0;
        for (int cut : in.cuts()) {
            int moved = cut <= from ? cut : cut < to ? from : cut - (to - from);
            if (moved > 0 && moved < bytes.length && (count == 0 || moved > cuts[count - 1])) {
                cuts[count++] = moved;
            }
        }
        return new ChunkedInput(bytes, Arrays.copyOf(cuts, count));
    }
}
