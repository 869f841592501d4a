package io.sluice.cli;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.pcap.PcapWriteHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A capture written by Netty's own {@link PcapWriteHandler} on a live client connection to
 * {@code serve} replays to the events the client received. (The Sluice client's own pcap option is
 * another module's; this pins the same property with the writer that option is built on.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopbackCaptureTest {

    @Test
    void aCaptureWrittenByPcapWriteHandlerReplaysToTheEventsTheClientReceived(@TempDir Path dir) throws Exception {
        byte[] recording = Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.pcap"));
        ServeCommand.Served served = ServeCommand.served(InputKind.PCAP, recording, "openai-chat-tools.pcap", null,
                new PrintWriter(new StringWriter()));
        Path pcap = dir.resolve("client.pcap");
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        // Closed last: the handler writes the connection's closing packets when the channel is deregistered.
        try (OutputStream capture = Files.newOutputStream(pcap);
             ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset())) {
            Channel channel = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(PcapWriteHandler.builder().build(capture), new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(Unpooled.copiedBuffer(
                                            "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 2\r\n\r\n{}",
                                            StandardCharsets.US_ASCII));
                                }

                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf bytes = (ByteBuf) msg;
                                    try {
                                        byte[] copy = new byte[bytes.readableBytes()];
                                        bytes.readBytes(copy);
                                        received.writeBytes(copy);
                                    } finally {
                                        bytes.release();
                                    }
                                }
                            });
                        }
                    })
                    .connect("127.0.0.1", server.port()).sync().channel();
            channel.closeFuture().await(30, TimeUnit.SECONDS); // the server closes after the stream
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        byte[] wire = received.toByteArray();
        assertArrayEquals(Files.readAllBytes(SAMPLES.resolve("openai-chat-tools.http")), wire);
        List<String> clientEvents = SluiceRunner.run(wire, "replay", "--input", "http", "--format", "ndjson", "-").records("event");
        assertEquals(Files.readAllLines(SAMPLES.resolve("openai-chat-tools.events.ndjson")), clientEvents);
        SluiceRunner.Result replayed = SluiceRunner.run("replay", "--format", "ndjson", pcap.toString());
        assertEquals(0, replayed.exit(), replayed.err());
        assertEquals(clientEvents, replayed.records("event"));
    }
}
