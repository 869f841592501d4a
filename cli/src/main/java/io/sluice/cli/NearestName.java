package io.sluice.cli;

import java.util.Collection;

/**
 * The command or option a mistyped one most likely meant, for the "did you mean" of a usage error.
 * picocli's own suggestions ({@code UnmatchedArgumentException.getSuggestions}) rank by shared
 * letter pairs, which misses the commonest typo, two letters swapped: for {@code sreve} it offers
 * {@code relay} and {@code replay}, never {@code serve} (issue 17). So: the name in another case,
 * else the one name the typed text begins, else the one nearest by edit distance (a swap counting
 * as one edit), if it is near; a tie is no suggestion, as a guess between two would mislead.
 */
final class NearestName {
    /** Further than this, a name is a guess, not a correction. */
    private static final int MAX_EDITS = 2;

    private NearestName() {
    }

    /** The name of {@code names} that {@code typed} most likely meant, or null when none is near. */
    static String of(String typed, Collection<String> names) {
        for (String name : names) {
            if (name.equalsIgnoreCase(typed)) {
                return name;
            }
        }
        String prefixed = null;
        int prefixes = 0;
        for (String name : names) {
            if (name.startsWith(typed)) {
                prefixed = name;
                prefixes++;
            }
        }
        if (prefixes == 1) {
            return prefixed;
        }
        String nearest = null;
        // A word of n letters may lose at most n - 1 of them and still say which it was.
        int best = Math.min(MAX_EDITS, typed.length() - 1) + 1;
        boolean tie = false;
        for (String name : names) {
            int edits = edits(typed, name);
            if (edits < best) {
                best = edits;
                nearest = name;
                tie = false;
            } else if (edits == best && nearest != null) {
                tie = true;
            }
        }
        return tie ? null : nearest;
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    static int edits(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
