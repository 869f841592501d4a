package io.sluice.llm.internal;

import io.sluice.llm.Delta;

import java.util.Arrays;

/**
 * The token counts one event carried, {@link Delta#ABSENT} for each it did not: filled by a
 * decoder while it parses, then copied into the usage slot. One per decoder (and one per slot),
 * reused event after event; server tool names are the parser's canonical field-name Strings, so
 * filling allocates nothing once the arrays have grown to the provider's count of tools.
 */
public final class UsageCounts {
    long input;
    long output;
    long cacheRead;
    long cacheCreation;
    long cacheCreation5m;
    long cacheCreation1h;
    long reasoning;
    long toolUsePrompt;
    /** Server tool counts held, {@link Delta#ABSENT} when the event had no such object. */
    int serverTools;
    String[] serverToolNames = new String[2];
    long[] serverToolCounts = new long[2];

    public UsageCounts() {
        reset();
    }

    public void reset() {
        input = Delta.ABSENT;
        output = Delta.ABSENT;
        cacheRead = Delta.ABSENT;
        cacheCreation = Delta.ABSENT;
        cacheCreation5m = Delta.ABSENT;
        cacheCreation1h = Delta.ABSENT;
        reasoning = Delta.ABSENT;
        toolUsePrompt = Delta.ABSENT;
        serverTools = (int) Delta.ABSENT;
    }

    /** True if the event said any count (a server tool object, even empty, counts). */
    public boolean any() {
        return input >= 0 || output >= 0 || cacheRead >= 0 || cacheCreation >= 0 || cacheCreation5m >= 0
                || cacheCreation1h >= 0 || reasoning >= 0 || toolUsePrompt >= 0 || serverTools >= 0;
    }

    /** The event carries a server tool object (perhaps empty). */
    void serverToolUseSeen() {
        if (serverTools < 0) {
            serverTools = 0;
        }
    }

    /** One server tool count; a repeated name keeps the last count, as JSON parsers do. */
    void serverTool(String name, long count) {
        serverToolUseSeen();
        for (int i = 0; i < serverTools; i++) {
            if (serverToolNames[i].equals(name)) {
                serverToolCounts[i] = count;
                return;
            }
        }
        if (serverTools == serverToolNames.length) {
            serverToolNames = Arrays.copyOf(serverToolNames, serverTools * 2);
            serverToolCounts = Arrays.copyOf(serverToolCounts, serverTools * 2);
        }
        serverToolNames[serverTools] = name;
        serverToolCounts[serverTools++] = count;
    }

    void copyFrom(UsageCounts o) {
        input = o.input;
        output = o.output;
        cacheRead = o.cacheRead;
        cacheCreation = o.cacheCreation;
        cacheCreation5m = o.cacheCreation5m;
        cacheCreation1h = o.cacheCreation1h;
        reasoning = o.reasoning;
        toolUsePrompt = o.toolUsePrompt;
        serverTools = o.serverTools;
        if (o.serverTools > serverToolNames.length) {
            serverToolNames = new String[o.serverToolNames.length];
            serverToolCounts = new long[o.serverToolCounts.length];
        }
        if (o.serverTools > 0) {
            System.arraycopy(o.serverToolNames, 0, serverToolNames, 0, o.serverTools);
            System.arraycopy(o.serverToolCounts, 0, serverToolCounts, 0, o.serverTools);
        }
    }
}
