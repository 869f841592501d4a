package io.sluice.benchmarks;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.sluice.core.SseEvent;
import io.sluice.netty.SseClient;
import io.sluice.netty.SseListener;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import io.sluice.netty.SseServerProtocols;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a relayed stream costs to hold: S concurrent streams, idle between events, through one
 * {@link SseRelay} on a 2-thread event loop group, with the relay alone in its JVM so its memory is
 * its own. A main class rather than JMH: the figure is a whole process's, and the load cannot
 * share the relay's process.
 *
 * <p>Three kinds of process, started by the driver from this jar and stopped by it (each also
 * exits when its standard input closes, so none outlives the driver):
 * <ul>
 *   <li>an upstream, a plain Netty server that answers each request with an event stream and
 *       writes each stream one event every {@code interval} (staggered);</li>
 *   <li>the relay, which samples its memory about every millisecond;</li>
 *   <li>load clients, {@value #STREAMS_PER_CLIENT_PROCESS} streams at most each: a process may hold
 *       20,000 open files here, and the relay holds two sockets a stream over HTTP/1.1, so with an
 *       HTTP/1.1 upstream the relay tops out below 10,000 streams; with {@code h2c} its upstream
 *       streams share a few connections (the upstream allows 1,000 streams a connection).</li>
 * </ul>
 * The per-stream figure is the relay process's memory with every stream open and each past its
 * first event, less the same before the first stream, divided by S: the live heap after a full
 * collection, the high water of the Netty allocator's heap buffers in use, and that of the JDK's direct
 * buffers. Run: {@code java -cp benchmarks/target/benchmarks.jar io.sluice.benchmarks.ManyStreamsBenchmark 9000 1000 h1}
 * (streams, milliseconds between a stream's events, the protocols: {@code h1}, {@code h2c} for an h2c
 * upstream, or {@code h2c-both} for h2c on both sides, the load clients' streams multiplexed too).
 */
public final class ManyStreamsBenchmark {
    static final int STREAMS_PER_CLIENT_PROCESS = 5_000;
    /** About an LLM delta's size on the wire. */
    private static final byte[] EVENT = ("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\" a token\"}}\n\n").getBytes(StandardCharsets.UTF_8);

    private ManyStreamsBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String role = args.length > 0 ? args[0] : "";
        switch (role) {
            case "upstream" -> upstream(Long.parseLong(args[1]));
            case "relay" -> relay(Integer.parseInt(args[1]), !args[2].equals("h1"), args[2].equals("h2c-both"));
            case "clients" -> clients(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3].equals("h2c-both"));
            default -> drive(args.length > 0 ? Integer.parseInt(args[0]) : 9_000,
                    args.length > 1 ? Long.parseLong(args[1]) : 1_000, args.length > 2 ? args[2] : "h1");
        }
    }

    // ---- the driver ----

    private static void drive(int streams, long intervalMillis, String upstreamProtocol) throws Exception {
        if (!List.of("h1", "h2c", "h2c-both").contains(upstreamProtocol)) {
            throw new IllegalArgumentException("the protocols are h1, h2c (upstream) or h2c-both, not " + upstreamProtocol);
        }
        if (streams > 9_800 && upstreamProtocol.equals("h1")) {
            throw new IllegalArgumentException(streams + " streams: over HTTP/1.1 the relay holds two sockets a stream, "
                    + "and a process may hold 20,000 open files here; h2c upstream multiplexes them");
        }
        List<Child> children = new ArrayList<>();
        try {
            Child upstream = Child.start(children, "upstream", Long.toString(intervalMillis));
            int upstreamPort = Integer.parseInt(upstream.await("port "));
            Child relay = Child.start(children, "relay", Integer.toString(upstreamPort), upstreamProtocol);
            int relayPort = Integer.parseInt(relay.await("port "));
            relay.send("measure");
            String[] before = relay.await("memory ").split(" ");
            List<Child> loads = new ArrayList<>();
            for (int left = streams; left > 0; left -= STREAMS_PER_CLIENT_PROCESS) {
                loads.add(Child.start(children, "clients", Integer.toString(relayPort),
                        Integer.toString(Math.min(left, STREAMS_PER_CLIENT_PROCESS)), upstreamProtocol));
            }
            for (Child load : loads) {
                load.await("opened ");
            }
            for (Child load : loads) {
                load.await("evented "); // every stream of the process has had an event through the relay
            }
            relay.send("measure");
            String[] after = relay.await("memory ").split(" ");
            long[] b = longs(before);
            long[] a = longs(after);
            System.out.printf("# %s %s, relay on 2 event loop threads (NIO), %,d streams, downstream %s, upstream %s, "
                            + "one event per stream every %d ms; the relay's process alone%n",
                    System.getProperty("java.vm.name"), Runtime.version(), streams,
                    upstreamProtocol.equals("h2c-both") ? "h2c" : "HTTP/1.1",
                    upstreamProtocol.equals("h1") ? "HTTP/1.1" : "h2c", intervalMillis);
            System.out.printf("live heap after a full GC: %.1f MiB more with every stream open = %,d bytes a stream%n",
                    (a[0] - b[0]) / 1048576.0, (a[0] - b[0]) / streams);
            System.out.printf("Netty allocator's heap buffers in use, high water: %.1f MiB = %,d bytes a stream%n",
                    (a[1] - b[1]) / 1048576.0, (a[1] - b[1]) / streams);
            System.out.printf("direct memory (the JDK's count: Netty's direct arenas and the socket buffers), high water: "
                    + "%.1f MiB = %,d bytes a stream%n", (a[2] - b[2]) / 1048576.0, (a[2] - b[2]) / streams);
            System.out.printf("total: %,d bytes a stream%n", ((a[0] - b[0]) + (a[1] - b[1]) + (a[2] - b[2])) / streams);
            // -Dsluice.holdSeconds=N keeps every stream open N seconds more, for a look with jmap -histo:live.
            Thread.sleep(TimeUnit.SECONDS.toMillis(Long.getLong("sluice.holdSeconds", 0)));
        } finally {
            for (int i = children.size() - 1; i >= 0; i--) {
                children.get(i).stop(); // the clients first: a relay or upstream stopping under them is no failure of theirs
            }
        }
    }

    private static long[] longs(String[] s) {
        long[] out = new long[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Long.parseLong(s[i]);
        }
        return out;
    }

    /** A process of this benchmark, spoken to over its standard streams. */
    private static final class Child {
        private final Process process;
        private final BufferedReader out;
        private final PrintStream in;
        private final String role;

        private Child(String role, Process process) {
            this.role = role;
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        static Child start(List<Child> children, String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                    "-Dio.netty.leakDetection.level=disabled",
                    "-cp", System.getProperty("java.class.path"), ManyStreamsBenchmark.class.getName()));
            command.addAll(List.of(args));
            Child child = new Child(args[0], new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            children.add(child);
            return child;
        }

        void send(String line) {
            in.println(line);
        }

        /** The rest of the first line that starts with {@code prefix}; fails if the process ends first or in 300 s. */
        String await(String prefix) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
                if (System.nanoTime() > deadline) {
                    break;
                }
            }
            throw new IllegalStateException(role + " process ended or timed out before saying '" + prefix.trim() + "'");
        }

        void stop() throws InterruptedException {
            in.close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** Exits the process when the driver closes its standard input (or dies), and answers its commands. */
    private static void serveCommands(java.util.function.Consumer<String> onCommand) throws IOException {
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = commands.readLine()) != null; ) {
            onCommand.accept(line.trim());
        }
        System.exit(0);
    }

    // ---- the upstream ----

    private static void upstream(long intervalMillis) throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(1);
        Set<Channel> streams = ConcurrentHashMap.newKeySet();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                // HTTP/1.1, and h2c by prior knowledge for a relay that multiplexes its upstream streams.
                .childHandler(SseServerProtocols.builder(stream -> stream.addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof HttpRequest) {
                                    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
                                            .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                                    ctx.writeAndFlush(head);
                                    streams.add(ctx.channel());
                                    ctx.channel().closeFuture().addListener(f -> streams.remove(ctx.channel()));
                                }
                                ReferenceCountUtil.release(msg);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close(); // a relay stopped under its streams: nothing to report
                            }
                        })).h2c(true).maxConcurrentStreams(1_000).build())
                .bind("127.0.0.1", 0).sync().channel();
        // Every 10 ms a tenth-of-a-round's share of the streams gets its event: each stream one an interval, staggered.
        long tickMillis = 10;
        long[] tick = {0};
        group.scheduleAtFixedRate(() -> {
            long slots = Math.max(1, intervalMillis / tickMillis);
            long slot = tick[0]++ % slots;
            for (Channel ch : streams) {
                if ((ch.hashCode() & Integer.MAX_VALUE) % slots == slot) {
                    ch.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(EVENT)));
                }
            }
        }, tickMillis, tickMillis, TimeUnit.MILLISECONDS);
        System.out.println("port " + ((InetSocketAddress) server.localAddress()).getPort());
        serveCommands(command -> {
            for (Channel ch : streams) {
                ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        });
    }

    // ---- the relay ----

    private static void relay(int upstreamPort, boolean h2c, boolean downstreamH2c) throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(2);
        SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class)
                .protocol(h2c ? SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE : SseClient.Protocol.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(60)).firstByteTimeout(Duration.ofSeconds(300)).build();
        URI upstream = URI.create("http://127.0.0.1:" + upstreamPort);
        SseRelay relay = SseRelay.builder(client, request -> SseRequest.get(upstream.resolve(request.uri())))
                .heartbeat(Duration.ZERO).build();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childHandler(SseServerProtocols.builder(p -> p.addLast(new HttpObjectAggregator(1 << 16), relay))
                        .h2c(downstreamH2c).maxConcurrentStreams(1_000).build())
                .bind("127.0.0.1", 0).sync().channel();
        MemorySampler sampler = new MemorySampler();
        sampler.start();
        System.out.println("port " + ((InetSocketAddress) server.localAddress()).getPort());
        serveCommands(command -> {
            if (command.equals("measure")) {
                System.out.println("memory " + liveHeap() + ' ' + sampler.allocatorHighWater.get() + ' '
                        + sampler.directHighWater.get());
            }
        });
    }

    private static long liveHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Samples the Netty allocator's heap in use and the JDK's direct buffers about every millisecond, keeping the maxima. */
    private static final class MemorySampler extends Thread {
        final AtomicLong allocatorHighWater = new AtomicLong();
        final AtomicLong directHighWater = new AtomicLong();
        private final ByteBufAllocatorMetric allocator = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        private final BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();

        MemorySampler() {
            super("memory-sampler");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                // The JDK's direct count already holds the allocator's direct arenas: only its heap is added.
                allocatorHighWater.accumulateAndGet(allocator.usedHeapMemory(), Math::max);
                directHighWater.accumulateAndGet(direct.getMemoryUsed(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    // ---- the load clients ----

    private static void clients(int relayPort, int streams, boolean h2c) throws Exception {
        EventLoopGroup group = new NioEventLoopGroup(1);
        // The ramp below is slow on a loaded machine: the wait for a head is the measure's, not a timeout's.
        SseClient client = SseClient.builder().eventLoopGroup(group, NioSocketChannel.class)
                .protocol(h2c ? SseClient.Protocol.HTTP_2_PRIOR_KNOWLEDGE : SseClient.Protocol.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(60)).firstByteTimeout(Duration.ofSeconds(300)).build();
        CountDownLatch opened = new CountDownLatch(streams);
        CountDownLatch evented = new CountDownLatch(streams);
        URI relay = URI.create("http://127.0.0.1:" + relayPort);
        for (int i = 0; i < streams; i++) {
            client.open(SseRequest.get(relay.resolve("/s/" + i)), new SseListener() {
                private boolean first = true;

                @Override
                public void onOpen(HttpResponseStatus status, io.netty.handler.codec.http.HttpHeaders headers) {
                    opened.countDown();
                }

                @Override
                public void onEvent(SseEvent event) {
                    if (first) {
                        first = false;
                        evented.countDown();
                    }
                }

                @Override
                public void onError(io.sluice.core.SseException error) {
                    if (evented.getCount() > 0) {
                        System.err.println("stream failed: " + error); // during the measure; after it the driver stops the relay
                    }
                }
            });
            if (i % 250 == 249) {
                Thread.sleep(250); // a ramp, not a SYN flood into the relay's backlog
            }
        }
        if (!opened.await(300, TimeUnit.SECONDS)) {
            throw new IllegalStateException(opened.getCount() + " of " + streams + " streams not opened");
        }
        System.out.println("opened " + streams);
        if (!evented.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(evented.getCount() + " of " + streams + " streams had no event");
        }
        System.out.println("evented " + streams);
        serveCommands(command -> {
        });
    }
}
