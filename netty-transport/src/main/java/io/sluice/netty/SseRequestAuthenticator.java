package io.sluice.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Lets through only the HTTP requests that carry a configured credential, and answers every other
 * one {@code 401} and closes: a relay that adds the upstream's API key to each request it makes
 * (as {@link SseRelay} behind {@code sluice relay -H 'x-api-key: ...'} does) lends that key to
 * whoever can reach its port unless it checks who is asking. It lives here, beside the relay, so
 * every gateway built on {@link SseRelay} can use it, not only the command.
 *
 * <p>Place it right after {@code HttpServerCodec}, before any {@code HttpServerExpectContinueHandler}
 * and {@code HttpObjectAggregator}: it decides on the request head, so a refused client is never
 * invited to send its body ({@code 100 Continue}), its body is never aggregated, and no upstream
 * request is ever opened for it. A refused connection reads nothing more (autoRead off; what was
 * already decoded is released unread) and closes once the answer is written.
 *
 * <p>Credentials, each added requirement narrowing who gets through:
 * <ul>
 *   <li>{@link Builder#requireHeader(String, String) requireHeader}: the header must be present
 *       once, with exactly that value; every required header must match.</li>
 *   <li>{@link Builder#bearerTokens(Collection) bearerTokens}: {@code Authorization: Bearer T}
 *       (RFC 6750 section 2.1, the scheme's name in any case) with {@code T} one of the tokens.
 *       The refusal says {@code www-authenticate: Bearer}.</li>
 * </ul>
 *
 * <p>Timing: every presented value is hashed with SHA-256 and compared, digest to digest, with
 * {@link MessageDigest#isEqual}, against every configured one without stopping at a match, so the
 * time a check takes tells an attacker neither how long a secret is nor how much of a guess was
 * right. A missing header is compared as an empty value for the same reason.
 *
 * <p>Every request head is checked, a malformed one too (it is refused unless it carries the
 * credential, and then passes on for the next handler's {@code 400}). The credential headers are
 * not removed from an accepted request: an upstream mapping that copies every header would send
 * them on, which {@link SseRelay}'s callers choose header by header. Sharable; the refusal body is
 * {@value #REFUSAL_BODY}.
 */
@ChannelHandler.Sharable
public final class SseRequestAuthenticator extends ChannelInboundHandlerAdapter {
    /** The refusal's body, shaped as {@link SseRelay}'s error events so one client handler reads both. */
    public static final String REFUSAL_BODY =
            "{\"type\":\"error\",\"error\":{\"type\":\"unauthorized\",\"message\":\"this server requires a credential\"}}";

    private static final String BEARER = "bearer";
    private static final byte[] REFUSAL = REFUSAL_BODY.getBytes(StandardCharsets.UTF_8);
    /** What a refused connection's later messages go to: nothing more of it is read or passed on. */
    private static final ChannelHandler DISCARD = new Discard();

    private final List<String> headerNames;
    private final List<byte[]> headerDigests;
    private final List<byte[]> tokenDigests;
    private final BiConsumer<SocketAddress, HttpRequest> onRefused;

    private SseRequestAuthenticator(Builder b) {
        this.headerNames = List.copyOf(b.headerNames);
        this.headerDigests = List.copyOf(b.headerDigests);
        this.tokenDigests = List.copyOf(b.tokenDigests);
        this.onRefused = b.onRefused;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The request headers that carry the credential this authenticator checks: a relay drops them
     * ({@link SseHeaderPolicy#dropping}), so a client's credential for the relay never reaches
     * the upstream.
     */
    public List<String> credentialHeaders() {
        List<String> names = new ArrayList<>(headerNames);
        if (!tokenDigests.isEmpty()) {
            names.add("authorization");
        }
        return List.copyOf(names);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpRequest request) || admits(request)) {
            ctx.fireChannelRead(msg); // a body part follows its head: an admitted one, or none refused yet
            return;
        }
        try {
            if (onRefused != null) {
                onRefused.accept(ctx.channel().remoteAddress(), request);
            }
            refuse(ctx, request.protocolVersion());
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Whether the request carries every configured credential; the same work whatever it carries. */
    boolean admits(HttpRequest request) {
        boolean admitted = true;
        for (int i = 0; i < headerNames.size(); i++) {
            List<String> values = request.headers().getAll(headerNames.get(i));
            // Compared even when absent or repeated, so the time taken is the same.
            boolean matches = MessageDigest.isEqual(headerDigests.get(i), sha256(values.isEmpty() ? "" : values.get(0)));
            admitted &= matches & values.size() == 1;
        }
        if (!tokenDigests.isEmpty()) {
            String token = bearerToken(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            byte[] presented = sha256(token == null ? "" : token);
            boolean anyMatches = false;
            for (byte[] digest : tokenDigests) {
                anyMatches |= MessageDigest.isEqual(digest, presented); // no early exit: see the class javadoc
            }
            admitted &= anyMatches & token != null;
        }
        return admitted;
    }

    /** The token of {@code Bearer T}, null for another scheme or none. */
    private static String bearerToken(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                || authorization.charAt(BEARER.length()) != ' ') {
            return null;
        }
        String token = authorization.substring(BEARER.length() + 1).strip();
        return token.isEmpty() ? null : token;
    }

    private void refuse(ChannelHandlerContext ctx, HttpVersion requestVersion) {
        ByteBuf body = Unpooled.wrappedBuffer(REFUSAL);
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_0.equals(requestVersion) ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1,
                HttpResponseStatus.UNAUTHORIZED, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (!tokenDigests.isEmpty()) {
            // RFC 6750 section 3. A required header has no registered scheme to name, so its
            // refusal carries no challenge (RFC 9110 asks for one; there is none to give).
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        HttpUtil.setContentLength(response, REFUSAL.length);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        // The rest of this connection (a body, a pipelined request) is neither read nor passed on.
        ctx.channel().config().setAutoRead(false);
        ctx.pipeline().replace(this, null, DISCARD);
    }

    private static byte[] sha256(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Checks that a secret is non-empty printable ASCII; its message never contains the value. */
    private static String checkSecret(String what, String value, boolean spacesAllowed) {
        Objects.requireNonNull(value, what);
        String stripped = value.strip();
        if (stripped.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        for (int i = 0; i < stripped.length(); i++) {
            char c = stripped.charAt(i);
            if (c > 0x7e || c < 0x20 || c == ' ' && !spacesAllowed) {
                throw new IllegalArgumentException(what + " has a character a client cannot send in it, at index " + i);
            }
        }
        return stripped;
    }

    /** Releases whatever a refused connection still decodes. */
    @ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** The credentials to require; at least one. */
    public static final class Builder {
        private final List<String> headerNames = new ArrayList<>();
        private final List<byte[]> headerDigests = new ArrayList<>();
        private final List<byte[]> tokenDigests = new ArrayList<>();
        private BiConsumer<SocketAddress, HttpRequest> onRefused;

        private Builder() {
        }

        /**
         * Requires the header {@code name} once, with exactly {@code value} (leading and trailing
         * spaces aside, as HTTP strips them); call again to require another header as well.
         */
        public Builder requireHeader(String name, String value) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || !name.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != ':')) {
                throw new IllegalArgumentException("not a header name: " + name);
            }
            headerNames.add(name.toLowerCase(Locale.ROOT));
            headerDigests.add(sha256(checkSecret("the value of header " + name, value, true)));
            return this;
        }

        /** Requires {@code Authorization: Bearer T} with {@code T} one of {@code tokens}; adds to earlier ones. */
        public Builder bearerTokens(Collection<String> tokens) {
            int i = 0;
            for (String token : tokens) {
                tokenDigests.add(sha256(checkSecret("bearer token " + i++, token, false)));
            }
            return this;
        }

        /**
         * Called on the event loop for each refused request, before the refusal is written: an
         * access log. The request is valid during the call only, and carries whatever credential
         * the client presented: log its method and URI, never its headers. Must not block.
         */
        public Builder onRefused(BiConsumer<SocketAddress, HttpRequest> onRefused) {
            this.onRefused = onRefused;
            return this;
        }

        public SseRequestAuthenticator build() {
            if (headerNames.isEmpty() && tokenDigests.isEmpty()) {
                throw new IllegalStateException("no credential to require: add a header or a bearer token");
            }
            return new SseRequestAuthenticator(this);
        }
    }
}
