package io.sluice.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;
import io.sluice.core.testing.ReadmeSection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.net.ssl.KeyManagerFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The README's server example (section "Serving an event stream"), compiled and run against the
 * module's own client; between {@code // readme:server} and {@code // end}, shown verbatim.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ServerReadmeExampleTest {
    private static final EventLoopGroup group = TestLoops.nio(1);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    @Test
    void serverStreamsResumesAfterLastEventIdAndEndsWithDone() throws Exception {
        List<String> tokens = List.of("Hel", "lo", ", ", "world");
        // readme:server
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(
                                new HttpServerCodec(),
                                new SseResponder(Duration.ofSeconds(15), emitter -> {
                                    // A reconnecting EventSource sends the last id it saw: resume after it.
                                    String last = emitter.lastEventId();
                                    int from = last == null ? 0 : Integer.parseInt(last) + 1;
                                    for (int i = from; i < tokens.size(); i++) {
                                        emitter.event("delta", tokens.get(i), Integer.toString(i));
                                    }
                                    emitter.end("done", "[DONE]", null); // writes it, ends the body
                                }));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        // end
        URI uri = URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/");
        SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class).build();
        try {
            Recorder seen = new Recorder();
            client.open(SseRequest.get(uri).withHeader("Last-Event-ID", "1"), seen);
            assertNull(seen.awaitEnd());
            assertEquals(List.of("delta|, |2", "delta|world|3", "done|[DONE]|3"), seen.events);
        } finally {
            client.close();
            server.close().sync();
        }
    }

    @Test
    void overTlsAnHttp2ClientGetsItsStreamsOnOneConnection() throws Exception {
        X509Bundle certificate = new CertificateBuilder().subject("CN=localhost").addSanIpAddress("127.0.0.1")
                .setIsCertificateAuthority(true).buildSelfSigned();
        KeyManagerFactory keyManagers = certificate.toKeyManagerFactory();
        // readme:h2
        SslContext tls = SseServerProtocols.alpn(SslContextBuilder.forServer(keyManagers)).build();
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(SseServerProtocols.builder(stream -> stream.addLast(
                                new SseResponder(Duration.ofSeconds(15), emitter -> emitter.end("done", emitter.uri(), null))))
                        .tls(tls) // HTTP/2 or HTTP/1.1, as the client's ALPN asks
                        .build())
                .bind("127.0.0.1", 0).sync().channel();
        // end
        try {
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .sslContext(SseServerProtocolsTest.trustingSsl()).build();
            URI uri = URI.create("https://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/a");
            java.net.http.HttpResponse<String> response = client.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(java.net.http.HttpClient.Version.HTTP_2, response.version());
            assertEquals("event: done\ndata: /a\n\n", response.body());
        } finally {
            server.close().sync();
        }
    }

    @Test
    void readmeShowsThisExampleVerbatim() throws Exception {
        ReadmeSection.assertShowsVerbatim(ServerReadmeExampleTest.class, "server examples", 2);
    }
}
