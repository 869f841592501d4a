package io.sluice.cli;

import io.sluice.netty.SseRequestGuard;
import picocli.CommandLine.Option;

/**
 * The bounds on what a client may hold, shared by {@code sluice serve} and {@code sluice relay}
 * (a picocli mixin): each becomes an {@link SseRequestGuard} option, with its default.
 */
final class FrontDoorOptions {
    @Option(names = "--request-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class,
            defaultValue = "" + SseRequestGuard.DEFAULT_REQUEST_TIMEOUT_SECONDS,
            description = "A request must arrive whole (head and body) within this of its first byte, or it is answered 408 "
                    + "and closed; 0 for none (default: ${DEFAULT-VALUE}).")
    double requestTimeout = SseRequestGuard.DEFAULT_REQUEST_TIMEOUT_SECONDS;

    @Option(names = "--client-idle-timeout", paramLabel = "SECONDS", converter = SecondsConverter.class,
            defaultValue = "" + SseRequestGuard.DEFAULT_IDLE_TIMEOUT_SECONDS,
            description = "Close a connection that sends no request this long, after connecting or after a response; "
                    + "0 for none (default: ${DEFAULT-VALUE}).")
    double clientIdleTimeout = SseRequestGuard.DEFAULT_IDLE_TIMEOUT_SECONDS;

    @Option(names = "--max-connections", paramLabel = "N", converter = CountConverter.class,
            defaultValue = "" + SseRequestGuard.DEFAULT_MAX_CONNECTIONS,
            description = "Answer each connection past N open ones 503 and close it at once, its request unread; "
                    + "0 for none (default: none).")
    int maxConnections = SseRequestGuard.DEFAULT_MAX_CONNECTIONS;

    /** The guard these options describe (their converters have checked every value). */
    SseRequestGuard guard() {
        return SseRequestGuard.builder()
                .requestTimeout(GetCommand.seconds(requestTimeout))
                .idleTimeout(GetCommand.seconds(clientIdleTimeout))
                .maxConnections(maxConnections)
                .build();
    }
}
