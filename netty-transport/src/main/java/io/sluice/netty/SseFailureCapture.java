package io.sluice.netty;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where and how much an {@link SseClient} keeps of each stream that fails, so that
 * {@code sluice replay FILE} and {@code sluice serve FILE} reproduce the failure (issue 19). Set it
 * with {@link SseClient.Builder#captureFailures}; an {@link SseRelay} gets it from its client, for
 * its upstream attempts.
 *
 * <p>While a stream runs, its connection keeps the request head as sent, the response head as
 * received, and the last {@link #maxBodyBytes()} of the response body twice: as it came on the
 * wire (chunked, gzipped) and as decoded. When the stream ends with an error that a replay can
 * show (see {@link SseClient.Builder#captureFailures}), one {@code .http} file is written off the
 * event loop into {@link #directory()}:
 *
 * <table>
 *   <caption>Bounds</caption>
 *   <tr><th>what</th><th>default</th></tr>
 *   <tr><td>body bytes kept per stream (each of the two copies), and so per file</td><td>{@value #DEFAULT_MAX_BODY_BYTES}</td></tr>
 *   <tr><td>each head kept (request, response)</td><td>{@value #MAX_HEAD_BYTES}, fixed</td></tr>
 *   <tr><td>capture files kept in the folder (the oldest deleted)</td><td>{@value #DEFAULT_MAX_FILES}</td></tr>
 *   <tr><td>captures waiting to be written (more are dropped, not written)</td><td>{@value #MAX_PENDING_WRITES}, fixed</td></tr>
 * </table>
 *
 * <p>A file holds the response, replayable as any {@code .http}: byte for byte as received when the
 * whole body fitted, else the decoded tail behind a head that says so ({@code
 * x-sluice-capture-truncated}). The response head gets {@code x-sluice-capture-*} lines that say
 * what failed, where, and what was asked ({@code docs/replay.md}); the values of the
 * {@link #redactHeaders()} and {@link #redactQueryParameters()} never reach the disk.
 * Immutable; nothing is allocated for a client without one.
 */
public final class SseFailureCapture {
    /** Default {@link Builder#maxBodyBytes}: 64 KiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
    /** Default {@link Builder#maxFiles}. */
    public static final int DEFAULT_MAX_FILES = 100;
    /**
     * The most of each head kept: Netty's {@code HttpClientCodec} refuses a status line over 4 KiB
     * and headers over 8 KiB, so every head it accepts fits, and one it refused is kept far enough
     * to be refused again on replay.
     */
    public static final int MAX_HEAD_BYTES = 16 * 1024;
    /** Captures handed to the writer thread and not yet written; past this a failure is not captured. */
    public static final int MAX_PENDING_WRITES = 64;
    /** Default {@link Builder#redactHeaders}: credentials and cookies, request's and response's. */
    public static final Set<String> DEFAULT_REDACTED_HEADERS = Set.of("authorization", "proxy-authorization",
            "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie");
    /** Default {@link Builder#redactQueryParameters}: the query keys that carry keys (Gemini's {@code key}). */
    public static final Set<String> DEFAULT_REDACTED_QUERY_PARAMETERS = Set.of("key", "api_key", "apikey",
            "access_token", "token");

    private final Path directory;
    private final int maxBodyBytes;
    private final int maxFiles;
    private final Set<String> redactHeaders;
    private final Set<String> redactQueryParameters;

    private SseFailureCapture(Builder b) {
        this.directory = b.directory;
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxFiles = b.maxFiles;
        this.redactHeaders = Set.copyOf(b.redactHeaders);
        this.redactQueryParameters = Set.copyOf(b.redactQueryParameters);
    }

    /** A capture into {@code directory} (made when the client is built, if missing), with the defaults. */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** The folder the files go to. */
    public Path directory() {
        return directory;
    }

    /** The body bytes kept per stream (of the wire's and of the decoded), the tail when there were more. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    /** Capture files kept in the folder; writing one more deletes the oldest. */
    public int maxFiles() {
        return maxFiles;
    }

    /** Header names (lower case) whose values are written as {@code <redacted>}, in either head. */
    public Set<String> redactHeaders() {
        return redactHeaders;
    }

    /** Query parameter names (lower case) whose values are written as {@code <redacted>} in the request's target. */
    public Set<String> redactQueryParameters() {
        return redactQueryParameters;
    }

    @Override
    public String toString() {
        return "SseFailureCapture(" + directory + ", " + maxBodyBytes + " body bytes, " + maxFiles + " files)";
    }

    /** Options of a capture; all but the folder have defaults. */
    public static final class Builder {
        private final Path directory;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxFiles = DEFAULT_MAX_FILES;
        private Set<String> redactHeaders = DEFAULT_REDACTED_HEADERS;
        private Set<String> redactQueryParameters = DEFAULT_REDACTED_QUERY_PARAMETERS;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "directory");
        }

        /** The body bytes kept per stream, at least 1 (default {@value #DEFAULT_MAX_BODY_BYTES}). */
        public Builder maxBodyBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1: " + bytes);
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** Capture files kept in the folder, at least 1 (default {@value #DEFAULT_MAX_FILES}). */
        public Builder maxFiles(int files) {
            if (files < 1) {
                throw new IllegalArgumentException("maxFiles must be at least 1: " + files);
            }
            this.maxFiles = files;
            return this;
        }

        /**
         * The header names whose values are never written, any case; replaces the default
         * ({@link #DEFAULT_REDACTED_HEADERS}), so add to that set to keep it.
         */
        public Builder redactHeaders(Set<String> names) {
            this.redactHeaders = lowerCase(names);
            return this;
        }

        /** The query parameter names whose values are never written, any case; replaces the default. */
        public Builder redactQueryParameters(Set<String> names) {
            this.redactQueryParameters = lowerCase(names);
            return this;
        }

        private static Set<String> lowerCase(Set<String> names) {
            Set<String> lower = new TreeSet<>();
            for (String name : names) {
                lower.add(name.trim().toLowerCase(Locale.ROOT));
            }
            return lower;
        }

        public SseFailureCapture build() {
            return new SseFailureCapture(this);
        }
    }
}
