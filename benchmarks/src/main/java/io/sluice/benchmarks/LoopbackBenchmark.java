package io.sluice.benchmarks;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * End to end over loopback: a Netty SSE server (NIO, 127.0.0.1, an ephemeral port) streams the
 * {@link Corpus#ANTHROPIC} events, {@link #repeats} times over, as one chunked HTTP/1.1 response
 * per operation; a Sluice client ({@code HttpClientCodec} and a handler feeding each
 * {@code HttpContent} to {@code SseParser}, on the client's event loop) consumes every event.
 * Server and client run one event loop each. The server writes {@link #flushEvery} events at a
 * time as one HTTP chunk and flushes it, as long as the channel is writable.
 *
 * <p>Figures: ops/s and the {@code events} counter (events/s), and the latency of each event from
 * the server's {@code write} of it to the client's {@code onEvent}, both on this JVM's
 * {@code System.nanoTime()}. The server writes as fast as the socket takes it, so this is the
 * latency at saturation, queueing in the socket buffers included. Recorded in an HdrHistogram
 * during measurement iterations only. At
 * the end of the trial the percentiles are printed and, with {@code -Dsluice.latencyOut=FILE},
 * appended to FILE as one line that {@code ResultsTable} reads. Every wait is bounded: an
 * operation that does not finish in 30 s fails the run, and teardown closes both sides.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LoopbackBenchmark {
    /** Where the latency line goes, for {@code ResultsTable}. */
    public static final String LATENCY_OUT_PROPERTY = "sluice.latencyOut";

    /** Copies of the corpus per response. */
    @Param({"4"})
    public int repeats;

    /** Events per write and flush (one HTTP chunk): 1 as an LLM server flushes, 16 batched. */
    @Param({"1", "16"})
    public int flushEvery;

    private EventLoopGroup serverGroup;
    private EventLoopGroup clientGroup;
    private Channel serverChannel;
    private Channel client;
    private ByteBuf corpus;
    private int[] eventEnds;
    private AtomicLongArray sentAt;
    private ClientHandler clientHandler;
    private final Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    private long eventsPerResponse;

    @Setup(Level.Trial)
    public void setUp() throws InterruptedException {
        byte[] bytes = Corpus.ANTHROPIC.load().bytes();
        corpus = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(bytes).asReadOnly());
        eventEnds = eventEnds(bytes);
        eventsPerResponse = (long) eventEnds.length * repeats;
        sentAt = new AtomicLongArray(eventEnds.length * repeats);
        serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        serverChannel = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new StreamingServer());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        clientHandler = new ClientHandler();
        client = new Bootstrap().group(clientGroup).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), clientHandler);
                    }
                })
                .connect(serverChannel.localAddress()).sync().channel();
    }

    /** The index after each event's blank line: events end at the first "\n\n" after their start. */
    private static int[] eventEnds(byte[] bytes) {
        int count = 0;
        for (int i = 1; i < bytes.length; i++) {
            if (bytes[i] == '\n' && bytes[i - 1] == '\n') {
                count++;
            }
        }
        int[] ends = new int[count];
        for (int i = 1, n = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n' && bytes[i - 1] == '\n') {
                ends[n++] = i + 1;
            }
        }
        return ends;
    }

    @Setup(Level.Iteration)
    public void startIteration(IterationParams params) {
        clientHandler.recording = params.getType() == IterationType.MEASUREMENT;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        client.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        String line = String.format(Locale.ROOT,
                "loopback repeats=%d flushEvery=%d events=%d p50_us=%.1f p99_us=%.1f p99.9_us=%.1f max_us=%.1f",
                repeats, flushEvery, latency.getTotalCount(), latency.getValueAtPercentile(50) / 1e3,
                latency.getValueAtPercentile(99) / 1e3, latency.getValueAtPercentile(99.9) / 1e3,
                latency.getMaxValue() / 1e3);
        System.out.println(line);
        String out = System.getProperty(LATENCY_OUT_PROPERTY);
        if (out != null) {
            Files.writeString(Path.of(out), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    @Benchmark
    public void stream(ParserBenchmark.Throughput t, Blackhole bh) throws Exception {
        clientHandler.blackhole = bh;
        CompletableFuture<Long> done = new CompletableFuture<>();
        clientHandler.done = done;
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/messages");
        request.headers().set(HttpHeaderNames.HOST, "127.0.0.1").set(HttpHeaderNames.ACCEPT, "text/event-stream");
        client.writeAndFlush(request);
        long events = done.get(30, TimeUnit.SECONDS);
        if (events != eventsPerResponse) {
            throw new IllegalStateException("client saw " + events + " events, server sent " + eventsPerResponse);
        }
        t.events += events;
        t.bytes += (long) corpus.readableBytes() * repeats;
    }

    /** Answers each request with the corpus, {@link #repeats} times, {@link #flushEvery} events a chunk. */
    private final class StreamingServer extends ChannelInboundHandlerAdapter {
        private int next = -1; // the next event to write, -1 when no response is open
        private int total;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                ctx.write(response);
                next = 0;
                total = eventEnds.length * repeats;
                writeSome(ctx);
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                writeSome(ctx);
            }
        }

        /**
         * Writes batches of up to {@link #flushEvery} consecutive events, each batch one HTTP chunk
         * (a slice of the corpus, no copy) and one flush, while the channel is writable. Every
         * event of a batch is stamped with the time of its batch's write.
         */
        private void writeSome(ChannelHandlerContext ctx) {
            while (next >= 0 && next < total && ctx.channel().isWritable()) {
                int first = next % eventEnds.length;
                int last = Math.min(first + flushEvery, eventEnds.length) - 1; // a batch never wraps the corpus
                long now = System.nanoTime();
                for (int e = first; e <= last; e++) {
                    sentAt.lazySet(next++, now);
                }
                int from = first == 0 ? 0 : eventEnds[first - 1];
                ctx.writeAndFlush(new DefaultHttpContent(corpus.retainedSlice(from, eventEnds[last] - from)));
            }
            if (next == total) {
                next = -1;
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }
    }

    /** Feeds each chunk to a parser per response; records each event's latency. */
    private final class ClientHandler extends ChannelInboundHandlerAdapter implements SseHandler {
        volatile CompletableFuture<Long> done;
        volatile Blackhole blackhole;
        volatile boolean recording;
        private SseParser parser;
        private int received;

        @Override
        public boolean isSharable() {
            return true;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpResponse) {
                    parser = SseParser.create(this);
                    received = 0;
                }
                if (msg instanceof HttpContent content) {
                    parser.feed(content.content());
                    if (msg instanceof LastHttpContent) {
                        long events = parser.eventsDispatched();
                        parser.end();
                        done.complete(events);
                    }
                }
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void onEvent(SseEvent event) {
            long now = System.nanoTime();
            if (recording) {
                latency.recordValue(Math.max(0, now - sentAt.get(received)));
            }
            received++;
            Blackhole bh = blackhole;
            bh.consume(event.type());
            bh.consume(event.dataBuffer());
            bh.consume(event.dataLength());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            CompletableFuture<Long> d = done;
            if (d != null) {
                d.completeExceptionally(cause);
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            CompletableFuture<Long> d = done;
            if (d != null) {
                d.completeExceptionally(new UncheckedIOException(new IOException("connection closed")));
            }
        }
    }
}
