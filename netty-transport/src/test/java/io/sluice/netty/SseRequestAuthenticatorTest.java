package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sluice.netty.LoopbackServer.SSE_HEADERS_CHUNKED;
import static io.sluice.netty.LoopbackServer.chunk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SseRequestAuthenticatorTest {
    private static final EventLoopGroup group = TestLoops.nio(2);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);
    private static SseClient upstreamClient;

    private static final String KEY = "k3y-0f-th3-r3lay";
    private static final SseRequestAuthenticator BY_HEADER = SseRequestAuthenticator.builder().requireHeader("X-Relay-Key", KEY).build();
    private static final SseRequestAuthenticator BY_TOKEN = SseRequestAuthenticator.builder()
            .bearerTokens(List.of("alpha-token", "beta.token~2", "gamma/token=")).build();

    private static final String REFUSED_BY_HEADER = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            + "connection: close\r\ncontent-length: " + SseRequestAuthenticator.REFUSAL_BODY.length() + "\r\n\r\n"
            + SseRequestAuthenticator.REFUSAL_BODY;
    private static final String REFUSED_BY_TOKEN = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n"
            + "connection: close\r\nwww-authenticate: Bearer\r\ncontent-length: " + SseRequestAuthenticator.REFUSAL_BODY.length()
            + "\r\n\r\n" + SseRequestAuthenticator.REFUSAL_BODY;

    @BeforeAll
    static void start() {
        upstreamClient = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
    }

    @AfterAll
    static void stop() {
        upstreamClient.close();
    }

    // ---- one channel: the codec, the authenticator, the expect handler, an aggregator ----

    /** What a request reaches past the authenticator: the aggregated requests, released, as "METHOD URI". */
    private static final class Passed {
        final List<String> requests = new ArrayList<>();
    }

    private static EmbeddedChannel channel(SseRequestAuthenticator authenticator, Passed passed) {
        return new EmbeddedChannel(new HttpServerCodec(), authenticator, new HttpServerExpectContinueHandler(),
                new HttpObjectAggregator(1 << 16), new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        FullHttpRequest request = (FullHttpRequest) msg;
                        passed.requests.add(request.method() + " " + request.uri());
                        request.release();
                    }
                });
    }

    /** Everything written to the client so far, as text; releases what it read. */
    private static String wire(EmbeddedChannel ch) {
        StringBuilder wire = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf bytes = (ByteBuf) o;
            wire.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.release();
        }
        return wire.toString();
    }

    private static String exchange(SseRequestAuthenticator authenticator, Passed passed, String request) {
        EmbeddedChannel ch = channel(authenticator, passed);
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.UTF_8));
        String answer = wire(ch);
        ch.finishAndReleaseAll();
        return answer;
    }

    @Test
    void theRequiredHeaderWithItsValueLetsTheRequestThrough() {
        Passed passed = new Passed();
        assertEquals("", exchange(BY_HEADER, passed, "GET /stream HTTP/1.1\r\nx-relay-key: " + KEY + "\r\n\r\n"));
        assertEquals(List.of("GET /stream"), passed.requests);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", // missing
        "x-relay-key: k3y-0f-th3-r3laz\r\n", // wrong, same length
        "x-relay-key: k3y-0f-th3-r3la\r\n", // a prefix
        "x-relay-key: k3y-0f-th3-r3lay-and-more\r\n", // longer
        "x-relay-key: \r\n", // empty
        "x-relay-key: " + KEY + "\r\nx-relay-key: " + KEY + "\r\n", // twice: ambiguous
        "x-other-key: " + KEY + "\r\n", // another header
    })
    void aMissingWrongOrRepeatedHeaderIsRefused401AndClosed(String credential) {
        Passed passed = new Passed();
        EmbeddedChannel ch = channel(BY_HEADER, passed);
        ch.writeInbound(Unpooled.copiedBuffer("GET /stream HTTP/1.1\r\n" + credential + "\r\n", StandardCharsets.UTF_8));

        assertEquals(REFUSED_BY_HEADER, wire(ch));
        assertFalse(ch.isOpen(), "closed once the answer is written");
        assertEquals(List.of(), passed.requests);
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest
    @ValueSource(strings = {"alpha-token", "beta.token~2", "gamma/token="})
    void everyTokenInTheListIsAdmittedWithTheBearerSchemeInAnyCase(String token) {
        for (String scheme : List.of("Bearer ", "bearer ", "BEARER  ")) {
            Passed passed = new Passed();
            assertEquals("", exchange(BY_TOKEN, passed, "GET / HTTP/1.1\r\nauthorization: " + scheme + token + "\r\n\r\n"));
            assertEquals(List.of("GET /"), passed.requests, scheme + token);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "authorization: Bearer alpha-tokem\r\n",
        "authorization: Bearer alpha-toke\r\n",
        "authorization: Bearer alpha-token-\r\n",
        "authorization: Bearer\r\n",
        "authorization: Bearer \r\n",
        "authorization: Bearertoken alpha-token\r\n",
        "authorization: Basic YWxwaGEtdG9rZW4=\r\n",
        "authorization: alpha-token\r\n",
        "x-api-key: alpha-token\r\n",
    })
    void aMissingOrWrongBearerTokenIsRefused401WithABearerChallenge(String credential) {
        Passed passed = new Passed();
        assertEquals(REFUSED_BY_TOKEN, exchange(BY_TOKEN, passed, "GET / HTTP/1.1\r\n" + credential + "\r\n"));
        assertEquals(List.of(), passed.requests);
    }

    @Test
    void aHeaderAndTokensTogetherAreBothRequired() {
        SseRequestAuthenticator both = SseRequestAuthenticator.builder().requireHeader("x-relay-key", KEY)
                .bearerTokens(List.of("alpha-token")).build();
        String header = "x-relay-key: " + KEY + "\r\n";
        String token = "authorization: Bearer alpha-token\r\n";
        Passed passed = new Passed();
        assertEquals(REFUSED_BY_TOKEN, exchange(both, passed, "GET /a HTTP/1.1\r\n" + header + "\r\n"));
        assertEquals(REFUSED_BY_TOKEN, exchange(both, passed, "GET /b HTTP/1.1\r\n" + token + "\r\n"));
        assertEquals("", exchange(both, passed, "GET /c HTTP/1.1\r\n" + header + token + "\r\n"));
        assertEquals(List.of("GET /c"), passed.requests);
    }

    @Test
    void aRefusedPostIsNotInvitedToSendItsBodyAndWhatArrivedIsDropped() {
        Passed passed = new Passed();
        EmbeddedChannel ch = channel(BY_HEADER, passed);
        // Expect: 100-continue and a body far past the aggregator's bound: the head alone decides.
        ch.writeInbound(Unpooled.copiedBuffer("POST /stream HTTP/1.1\r\nexpect: 100-continue\r\ncontent-length: 100000000\r\n\r\n"
                + "{\"the\":\"body's first bytes\"", StandardCharsets.UTF_8));

        assertEquals(REFUSED_BY_HEADER, wire(ch), "a 401 alone: no 100 Continue, no 413");
        assertFalse(ch.config().isAutoRead(), "nothing more is read");
        assertEquals(List.of(), passed.requests);
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aPipelinedRequestAfterARefusalIsNeverPassedOn() {
        Passed passed = new Passed();
        assertEquals(REFUSED_BY_HEADER, exchange(BY_HEADER, passed,
                "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nx-relay-key: " + KEY + "\r\n\r\n"));
        assertEquals(List.of(), passed.requests);
    }

    @Test
    void anHttp10RequestIsRefusedInHttp10() {
        String answer = exchange(BY_HEADER, new Passed(), "GET / HTTP/1.0\r\n\r\n");
        assertEquals(REFUSED_BY_HEADER.replace("HTTP/1.1", "HTTP/1.0"), answer);
    }

    @Test
    void onRefusedHearsTheRefusedRequest() {
        List<String> refused = new ArrayList<>();
        SseRequestAuthenticator logging = SseRequestAuthenticator.builder().requireHeader("x-relay-key", KEY)
                .onRefused((client, request) -> refused.add(request.method() + " " + request.uri())).build();
        exchange(logging, new Passed(), "POST /v1/messages?x=1 HTTP/1.1\r\nx-relay-key: guess\r\ncontent-length: 0\r\n\r\n");
        assertEquals(List.of("POST /v1/messages?x=1"), refused);
    }

    @Test
    void aBuilderWithoutCredentialsOrWithUnsendableOnesIsRefusedWithoutQuotingThem() {
        assertThrows(IllegalStateException.class, () -> SseRequestAuthenticator.builder().build());
        assertThrows(IllegalArgumentException.class, () -> SseRequestAuthenticator.builder().requireHeader("bad name", "v"));
        IllegalArgumentException space = assertThrows(IllegalArgumentException.class,
                () -> SseRequestAuthenticator.builder().bearerTokens(List.of("good", "se cret")));
        assertFalse(space.getMessage().contains("se cret"), space.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> SseRequestAuthenticator.builder().requireHeader("x-relay-key", "  "));
        assertTrue(empty.getMessage().contains("x-relay-key"), empty.getMessage());
        IllegalArgumentException newline = assertThrows(IllegalArgumentException.class,
                () -> SseRequestAuthenticator.builder().requireHeader("x-relay-key", "a\r\nb"));
        assertFalse(newline.getMessage().contains("a\r\nb"), newline.getMessage());
    }

    // ---- a real relay on loopback, the authenticator before it ----

    @Test
    void aRelayBehindTheAuthenticatorOpensNoUpstreamForARefusedClient() throws Exception {
        try (LoopbackServer upstream = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                SSE_HEADERS_CHUNKED + chunk("data: relayed\n\n") + "0\r\n\r\n"))) {
            SseRelay relay = SseRelay.builder(upstreamClient, request -> SseRequest.get(upstream.uri("/v1/stream")))
                    // the relay passes the client's headers on: all but the credential checked here
                    .headerPolicy(SseHeaderPolicy.DEFAULT.dropping(BY_HEADER.credentialHeaders()))
                    .heartbeat(Duration.ZERO).build();
            Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), BY_HEADER, new HttpServerExpectContinueHandler(),
                                    new HttpObjectAggregator(1 << 16), relay);
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            try {
                int port = ((InetSocketAddress) server.localAddress()).getPort();
                for (String credential : List.of("", "x-relay-key: wrong\r\n", "x-relay-key: " + KEY + "x\r\n")) {
                    assertEquals(REFUSED_BY_HEADER, request(port, "GET /stream HTTP/1.1\r\nhost: x\r\n" + credential + "\r\n"));
                }
                assertEquals(REFUSED_BY_HEADER, request(port,
                        "POST /stream HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello"));
                assertEquals(0, upstream.connections.size(), "no upstream request for a refused client");

                String admitted = request(port, "GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-relay-key: " + KEY
                        + "\r\n\r\n"); // read to the close: without it the connection is kept alive
                assertTrue(admitted.startsWith("HTTP/1.1 200 OK\r\n") && admitted.endsWith("data: relayed\n\n\r\n0\r\n\r\n"),
                        admitted);
                assertEquals(1, upstream.connections.size());
                assertFalse(upstream.requests.peek().contains(KEY), "the downstream credential is not sent upstream");
            } finally {
                server.close().sync();
            }
        }
    }

    /** One request on a plain socket, read until the server closes. */
    private static String request(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
