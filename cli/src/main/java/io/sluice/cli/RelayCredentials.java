package io.sluice.cli;

import io.netty.handler.codec.http.HttpRequest;
import io.sluice.netty.SseRequestAuthenticator;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What {@code sluice relay --require-header} and {@code --token-file} ask of a client, as the
 * {@link SseRequestAuthenticator} that checks it. Every message here names the option or the file
 * and line, never a secret: a mistyped key must not end up in a terminal's scrollback or a CI log.
 */
final class RelayCredentials {
    private RelayCredentials() {
    }

    /**
     * The authenticator for the options, or null when they ask for nothing (the relay is open).
     *
     * @param requiredHeaders {@code NAME: VALUE}, each required
     * @param tokenFile bearer tokens, one a line; blank lines and lines starting with {@code #}
     *     are skipped; null for none. Read once, here.
     */
    static SseRequestAuthenticator authenticator(List<String> requiredHeaders, Path tokenFile,
                                              BiConsumer<SocketAddress, HttpRequest> onRefused) {
        if (requiredHeaders.isEmpty() && tokenFile == null) {
            return null;
        }
        SseRequestAuthenticator.Builder builder = SseRequestAuthenticator.builder().onRefused(onRefused);
        for (int i = 0; i < requiredHeaders.size(); i++) {
            String header = requiredHeaders.get(i);
            int colon = header.indexOf(':');
            String which = "--require-header number " + (i + 1);
            if (colon <= 0) {
                throw new InputException(which + " is not NAME: VALUE");
            }
            try {
                builder.requireHeader(header.substring(0, colon).trim(), header.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new InputException(which + ": " + e.getMessage(), e);
            }
        }
        if (tokenFile != null) {
            builder.bearerTokens(tokens(tokenFile));
        }
        return builder.build();
    }

    private static List<String> tokens(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InputException("cannot read the token file " + file + ": " + e.getMessage(), e);
        }
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                SseRequestAuthenticator.builder().bearerTokens(List.of(line)); // checks it alone, to name its line
            } catch (IllegalArgumentException e) {
                throw new InputException("line " + (i + 1) + " of " + file + " is not one token (printable ASCII, no spaces)", e);
            }
            tokens.add(line);
        }
        if (tokens.isEmpty()) {
            throw new InputException("no tokens in " + file + " (one a line): nobody could use the relay");
        }
        return tokens;
    }
}
