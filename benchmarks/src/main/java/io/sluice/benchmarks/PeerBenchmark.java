package io.sluice.benchmarks;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.sluice.core.SseEvent;
import io.sluice.core.SseHandler;
import io.sluice.core.SseParser;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import okio.Buffer;
import okio.BufferedSource;
import okio.Okio;
import okio.Source;
import okio.Timeout;
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
import org.springframework.core.ResolvableType;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ReactiveHttpInputMessage;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.codec.ServerSentEventHttpMessageReader;
import reactor.core.publisher.Flux;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Sluice side by side with the SSE parsers users would otherwise pick, and with the limits of
 * the hardware, in one run over the same bytes: the {@link Corpus#ANTHROPIC} and
 * {@link Corpus#OPENAI_CHAT} corpora, fed whole or as 1460-byte pieces. One operation parses the
 * whole corpus with a new parser and puts every event's type and data into the Blackhole. How
 * each row is driven, in-process, no network:
 *
 * <ul>
 *   <li>{@link #sluice}: {@code SseParser.feed} per piece (unpooled heap ByteBufs, as
 *       {@code ParserBenchmark}); the event's data is consumed as the zero-copy view it is;</li>
 *   <li>{@link #okhttp4}, {@link #okhttp5}: OkHttp's {@code ServerSentEventReader} (okhttp-sse
 *       4.12.0, relocated by the {@code okhttp4-relocated} module so it can share the class path
 *       with 5.3.2), {@code processNextEvent()} until false, over an okio {@code Buffer} holding
 *       the corpus ({@code whole}) or a {@code BufferedSource} over a {@code Source} that returns
 *       1460 bytes a read ({@code segments1460}). Filling okio's buffer is a copy, as a socket
 *       read into it would be;</li>
 *   <li>{@link #launchDarkly}: okhttp-eventsource 4.1.1's {@code EventParser} (package-private,
 *       reached through a private lookup), {@code nextEvent()} until the stream closes, over an
 *       InputStream, read buffer {@code EventSource.DEFAULT_READ_BUFFER_SIZE};</li>
 *   <li>{@link #spring}: Spring WebFlux 6.2's {@code ServerSentEventHttpMessageReader}, reading
 *       {@code ServerSentEvent<String>} from a {@code Flux<DataBuffer>} of the pieces (each wrapped,
 *       not copied), subscribed synchronously;</li>
 *   <li>{@link #jersey}: jersey-media-sse 3.1's inbound path as {@code EventInput} runs it: its
 *       chunk parser splits events at blank lines, then {@code InboundEventReader} (package-private,
 *       through a private lookup) reads each; the data is consumed as {@code getRawData()} bytes;</li>
 *   <li>{@link #providerSdk}: the provider's own Java SDK on its own corpus: anthropic-java-core
 *       2.11 on ANTHROPIC, openai-java-core 4.8 on OPENAI_CHAT, through the SDK's {@code sseHandler}
 *       over a stub {@code HttpResponse} whose body is the corpus; it yields {@code SseMessage}s
 *       (the Anthropic SDK drops {@code ping}, the OpenAI SDK stops at {@code [DONE]});</li>
 *   <li>limits, no SSE at all: {@link #limitLfByteLoop} (find every LF a byte at a time),
 *       {@link #limitNettyFindLf} ({@code ByteBuf.forEachByte(ByteProcessor.FIND_LF)}),
 *       {@link #limitSwarLf} (eight bytes a step) and {@link #limitArraycopy}
 *       ({@code System.arraycopy} of every piece).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PeerBenchmark {
    private static final String BLACKHOLE_OK =
            "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.";
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    @Param({"ANTHROPIC", "OPENAI_CHAT"})
    public Corpus corpus;

    @Param({"whole", "segments1460"})
    public String feed;

    private byte[] bytes;
    private int pieceSize;
    private ByteBuf[] pieces;
    private byte[] copyTarget;
    private long events;
    private final SluiceHandler sluiceHandler = new SluiceHandler();

    private final Peers peers = new Peers();

    @Setup(Level.Trial)
    public void setUp() throws Throwable {
        Corpus.Loaded loaded = corpus.load();
        bytes = loaded.bytes();
        events = loaded.events();
        pieceSize = switch (feed) {
            case "whole" -> bytes.length;
            case "segments1460" -> ParserBenchmark.SEGMENT;
            default -> throw new IllegalArgumentException("feed: " + feed);
        };
        pieces = ParserBenchmark.cut(bytes, pieceSize, "heap");
        copyTarget = new byte[bytes.length];
        // Every contestant must have seen every event, or its figure means nothing.
        Blackhole bh = new Blackhole(BLACKHOLE_OK);
        long lineFeeds = 0;
        for (byte b : bytes) {
            lineFeeds += b == '\n' ? 1 : 0;
        }
        long sdkExpected = corpus == Corpus.ANTHROPIC ? events - count("event: ping\n") : events - 1;
        long[][] checks = {
            {runSluice(bh), events}, {runOkhttp4(bh), events}, {runOkhttp5(bh), events},
            {runLaunchDarkly(bh), events}, {runSpring(bh), events}, {runJersey(bh), events},
            {runProviderSdk(bh), sdkExpected},
            {lfByteLoop(), lineFeeds}, {nettyFindLf(), lineFeeds}, {swarLf(), lineFeeds},
        };
        for (int i = 0; i < checks.length; i++) {
            if (checks[i][0] != checks[i][1]) {
                throw new IllegalStateException(corpus + " " + feed + ": contestant " + i + " saw "
                        + checks[i][0] + ", expected " + checks[i][1]);
            }
        }
    }

    private long count(String text) {
        byte[] needle = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long n = 0;
        outer:
        for (int i = 0; i <= bytes.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (bytes[i + j] != needle[j]) {
                    continue outer;
                }
            }
            n++;
        }
        return n;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (ByteBuf piece : pieces) {
            piece.release();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The contestants

    @Benchmark
    public void sluice(ParserBenchmark.Throughput t, Blackhole bh) {
        long cpu = ParserBenchmark.cpuNanos();
        t.events += runSluice(bh);
        t.bytes += bytes.length;
        t.cpuNanos += ParserBenchmark.cpuNanos() - cpu;
    }

    @Benchmark
    public void okhttp4(ParserBenchmark.Throughput t, Blackhole bh) throws IOException {
        t.events += runOkhttp4(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public void okhttp5(ParserBenchmark.Throughput t, Blackhole bh) throws IOException {
        t.events += runOkhttp5(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public void launchDarkly(ParserBenchmark.Throughput t, Blackhole bh) throws Throwable {
        t.events += runLaunchDarkly(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public void spring(ParserBenchmark.Throughput t, Blackhole bh) {
        t.events += runSpring(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public void jersey(ParserBenchmark.Throughput t, Blackhole bh) throws Throwable {
        t.events += runJersey(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public void providerSdk(ParserBenchmark.Throughput t, Blackhole bh) {
        t.events += runProviderSdk(bh);
        t.bytes += bytes.length;
    }

    @Benchmark
    public long limitLfByteLoop(ParserBenchmark.Throughput t) {
        t.bytes += bytes.length;
        return lfByteLoop();
    }

    @Benchmark
    public long limitNettyFindLf(ParserBenchmark.Throughput t) {
        t.bytes += bytes.length;
        return nettyFindLf();
    }

    @Benchmark
    public long limitSwarLf(ParserBenchmark.Throughput t) {
        long cpu = ParserBenchmark.cpuNanos();
        t.bytes += bytes.length;
        long n = swarLf();
        t.cpuNanos += ParserBenchmark.cpuNanos() - cpu;
        return n;
    }

    @Benchmark
    public byte[] limitArraycopy(ParserBenchmark.Throughput t) {
        for (int from = 0; from < bytes.length; from += pieceSize) {
            System.arraycopy(bytes, from, copyTarget, from, Math.min(pieceSize, bytes.length - from));
        }
        t.bytes += bytes.length;
        return copyTarget;
    }

    // ---------------------------------------------------------------------------------------------
    // Drivers: each parses the corpus once and returns the events it delivered.

    private long runSluice(Blackhole bh) {
        sluiceHandler.bh = bh;
        SseParser parser = SseParser.create(sluiceHandler);
        for (ByteBuf piece : pieces) {
            piece.readerIndex(0);
            parser.feed(piece);
        }
        long n = parser.eventsDispatched();
        parser.end();
        return n;
    }

    private long runOkhttp4(Blackhole bh) throws IOException {
        long[] n = {0};
        var reader = new io.sluice.benchmarks.okhttp4.okhttp3.internal.sse.ServerSentEventReader(source(),
                new io.sluice.benchmarks.okhttp4.okhttp3.internal.sse.ServerSentEventReader.Callback() {
                    @Override
                    public void onEvent(String id, String type, String data) {
                        bh.consume(type);
                        bh.consume(data);
                        n[0]++;
                    }

                    @Override
                    public void onRetryChange(long timeMs) {
                        bh.consume(timeMs);
                    }
                });
        while (reader.processNextEvent()) {
            // every event goes to the callback
        }
        return n[0];
    }

    private long runOkhttp5(Blackhole bh) throws IOException {
        long[] n = {0};
        var reader = new okhttp3.sse.internal.ServerSentEventReader(source(),
                new okhttp3.sse.internal.ServerSentEventReader.Callback() {
                    @Override
                    public void onEvent(String id, String type, String data) {
                        bh.consume(type);
                        bh.consume(data);
                        n[0]++;
                    }

                    @Override
                    public void onRetryChange(long timeMs) {
                        bh.consume(timeMs);
                    }
                });
        while (reader.processNextEvent()) {
            // every event goes to the callback
        }
        return n[0];
    }

    private long runLaunchDarkly(Blackhole bh) throws Throwable {
        Object parser = Peers.LD_NEW.invokeExact(stream(), Peers.ORIGIN,
                com.launchdarkly.eventsource.EventSource.DEFAULT_READ_BUFFER_SIZE, false, Set.<String>of(),
                com.launchdarkly.logging.LDLogger.none());
        long n = 0;
        while (true) {
            Object event;
            try {
                event = Peers.LD_NEXT.invokeExact(parser);
            } catch (com.launchdarkly.eventsource.StreamClosedByServerException end) {
                return n;
            }
            if (event instanceof com.launchdarkly.eventsource.MessageEvent message) {
                bh.consume(message.getEventName());
                bh.consume(message.getData());
                n++;
            }
        }
    }

    private long runSpring(Blackhole bh) {
        long[] n = {0};
        Flux<DataBuffer> body = Flux.range(0, (bytes.length + pieceSize - 1) / pieceSize)
                .map(i -> DefaultDataBufferFactory.sharedInstance.wrap(
                        ByteBuffer.wrap(bytes, i * pieceSize, Math.min(pieceSize, bytes.length - i * pieceSize))));
        ReactiveHttpInputMessage message = new ReactiveHttpInputMessage() {
            @Override
            public Flux<DataBuffer> getBody() {
                return body;
            }

            @Override
            public HttpHeaders getHeaders() {
                return peers.springHeaders;
            }
        };
        peers.springReader.read(Peers.SPRING_TYPE, message, Map.of()).subscribe(o -> {
            ServerSentEvent<?> event = (ServerSentEvent<?>) o;
            bh.consume(event.event());
            bh.consume(event.data());
            n[0]++;
        });
        return n[0];
    }

    private long runJersey(Blackhole bh) throws Throwable {
        InputStream in = stream();
        long n = 0;
        for (byte[] chunk; (chunk = peers.jerseyChunks.readChunk(in)) != null; ) {
            var event = (org.glassfish.jersey.media.sse.InboundEvent) Peers.JERSEY_READ.invokeExact(
                    peers.jerseyReader, (Object) org.glassfish.jersey.media.sse.InboundEvent.class,
                    (Object) org.glassfish.jersey.media.sse.InboundEvent.class, Peers.NO_ANNOTATIONS,
                    MediaType.SERVER_SENT_EVENTS_TYPE, peers.jerseyHeaders, (InputStream) new ByteArrayInputStream(chunk));
            if (!event.isEmpty()) {
                bh.consume(event.getName());
                bh.consume(event.getRawData());
                n++;
            }
        }
        return n;
    }

    private long runProviderSdk(Blackhole bh) {
        long n = 0;
        if (corpus == Corpus.ANTHROPIC || corpus == Corpus.ANTHROPIC_LONG) {
            try (var response = peers.anthropicSse.handle(new Peers.AnthropicResponse(stream()))) {
                for (var it = response.stream().iterator(); it.hasNext(); ) {
                    var message = it.next();
                    bh.consume(message.getEvent());
                    bh.consume(message.getData());
                    n++;
                }
            }
        } else {
            try (var response = peers.openAiSse.handle(new Peers.OpenAiResponse(stream()))) {
                for (var it = response.stream().iterator(); it.hasNext(); ) {
                    var message = it.next();
                    bh.consume(message.getEvent());
                    bh.consume(message.getData());
                    n++;
                }
            }
        }
        return n;
    }

    private long lfByteLoop() {
        byte[] b = bytes;
        long n = 0;
        for (int from = 0; from < b.length; from += pieceSize) {
            for (int i = from, to = Math.min(from + pieceSize, b.length); i < to; i++) {
                if (b[i] == '\n') {
                    n++;
                }
            }
        }
        return n;
    }

    private long nettyFindLf() {
        long n = 0;
        for (ByteBuf piece : pieces) {
            int end = piece.writerIndex();
            for (int i = 0, lf; i < end && (lf = piece.forEachByte(i, end - i, ByteProcessor.FIND_LF)) >= 0; i = lf + 1) {
                n++;
            }
        }
        return n;
    }

    /** Every LF, eight bytes a step with the "has zero byte" test, a byte at a time for each piece's tail. */
    private long swarLf() {
        byte[] b = bytes;
        long n = 0;
        for (int from = 0; from < b.length; from += pieceSize) {
            int to = Math.min(from + pieceSize, b.length);
            int i = from;
            for (; i <= to - Long.BYTES; ) {
                long x = (long) LONG_LE.get(b, i) ^ LFS;
                long mask = (x - ONES) & ~x & HIGHS;
                if (mask == 0) {
                    i += Long.BYTES;
                } else {
                    n++;
                    i += (Long.numberOfTrailingZeros(mask) >>> 3) + 1;
                }
            }
            for (; i < to; i++) {
                if (b[i] == '\n') {
                    n++;
                }
            }
        }
        return n;
    }

    // ---------------------------------------------------------------------------------------------
    // Inputs

    /** The corpus as okio hands it to OkHttp: one Buffer, or a source that yields a piece a read. */
    private BufferedSource source() {
        if (pieceSize == bytes.length) {
            return new Buffer().write(bytes);
        }
        byte[] b = bytes;
        int size = pieceSize;
        return Okio.buffer(new Source() {
            private int pos;

            @Override
            public long read(Buffer sink, long byteCount) {
                if (pos == b.length) {
                    return -1;
                }
                int n = (int) Math.min(Math.min(size, b.length - pos), byteCount);
                sink.write(b, pos, n);
                pos += n;
                return n;
            }

            @Override
            public Timeout timeout() {
                return Timeout.NONE;
            }

            @Override
            public void close() {
            }
        });
    }

    /** The corpus as an InputStream that returns at most one piece a read, as a socket's does. */
    private InputStream stream() {
        byte[] b = bytes;
        int size = pieceSize;
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos == b.length ? -1 : b[pos++] & 0xFF;
            }

            @Override
            public int read(byte[] dst, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (pos == b.length) {
                    return -1;
                }
                int n = Math.min(Math.min(size, b.length - pos), len);
                System.arraycopy(b, pos, dst, off, n);
                pos += n;
                return n;
            }

            @Override
            public int available() {
                return Math.min(size, b.length - pos);
            }
        };
    }

    /** Reads an event's type and data the way a consumer of the zero-copy view does. */
    static final class SluiceHandler implements SseHandler {
        Blackhole bh;

        @Override
        public void onEvent(SseEvent event) {
            ByteBuf data = event.dataBuffer();
            int length = event.dataLength();
            bh.consume(event.type());
            bh.consume(data);
            bh.consume(event.dataIndex());
            bh.consume(length);
        }
    }

    /** The peers' objects that outlive one operation, as a long-lived client keeps them. */
    static final class Peers {
        static final URI ORIGIN = URI.create("http://127.0.0.1/");
        static final Annotation[] NO_ANNOTATIONS = {};
        static final ResolvableType SPRING_TYPE = ResolvableType.forClassWithGenerics(ServerSentEvent.class, String.class);
        static final MethodHandle LD_NEW;
        static final MethodHandle LD_NEXT;
        static final MethodHandle JERSEY_NEW;
        static final MethodHandle JERSEY_READ;

        static {
            try {
                // Both parsers are package-private: reached the way a test in their package would.
                Class<?> ld = Class.forName("com.launchdarkly.eventsource.EventParser");
                MethodHandles.Lookup ldLookup = MethodHandles.privateLookupIn(ld, MethodHandles.lookup());
                LD_NEW = ldLookup.findConstructor(ld, MethodType.methodType(void.class, InputStream.class, URI.class,
                                int.class, boolean.class, Set.class, com.launchdarkly.logging.LDLogger.class))
                        .asType(MethodType.methodType(Object.class, InputStream.class, URI.class, int.class,
                                boolean.class, Set.class, com.launchdarkly.logging.LDLogger.class));
                LD_NEXT = ldLookup.findVirtual(ld, "nextEvent",
                                MethodType.methodType(com.launchdarkly.eventsource.StreamEvent.class))
                        .asType(MethodType.methodType(Object.class, Object.class));
                Class<?> jersey = Class.forName("org.glassfish.jersey.media.sse.InboundEventReader");
                MethodHandles.Lookup jLookup = MethodHandles.privateLookupIn(jersey, MethodHandles.lookup());
                JERSEY_NEW = jLookup.findConstructor(jersey, MethodType.methodType(void.class, jakarta.inject.Provider.class))
                        .asType(MethodType.methodType(Object.class, jakarta.inject.Provider.class));
                JERSEY_READ = jLookup.findVirtual(jersey, "readFrom", MethodType.methodType(
                                org.glassfish.jersey.media.sse.InboundEvent.class, Class.class, java.lang.reflect.Type.class,
                                Annotation[].class, MediaType.class, jakarta.ws.rs.core.MultivaluedMap.class, InputStream.class))
                        .asType(MethodType.methodType(org.glassfish.jersey.media.sse.InboundEvent.class, Object.class,
                                Object.class, Object.class, Annotation[].class, MediaType.class,
                                MultivaluedHashMap.class, InputStream.class));
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final ServerSentEventHttpMessageReader springReader = new ServerSentEventHttpMessageReader();
        final HttpHeaders springHeaders = new HttpHeaders();
        // EventInput's own chunk parser: events end at a blank line.
        final org.glassfish.jersey.client.ChunkParser jerseyChunks =
                org.glassfish.jersey.client.ChunkedInput.createMultiParser("\n\n", "\r\n\r\n");
        final MultivaluedHashMap<String, String> jerseyHeaders = new MultivaluedHashMap<>();
        final Object jerseyReader;
        final com.anthropic.core.http.HttpResponse.Handler<com.anthropic.core.http.StreamResponse<com.anthropic.core.http.SseMessage>> anthropicSse =
                sdkHandler(com.anthropic.core.handlers.SseHandler.class, com.anthropic.core.http.HttpResponse.Handler.class,
                        com.anthropic.core.ObjectMappers.jsonMapper());
        final com.openai.core.http.HttpResponse.Handler<com.openai.core.http.StreamResponse<com.openai.core.http.SseMessage>> openAiSse =
                sdkHandler(com.openai.core.handlers.SseHandler.class, com.openai.core.http.HttpResponse.Handler.class,
                        com.openai.core.ObjectMappers.jsonMapper());

        /**
         * The SDK's own {@code sseHandler(JsonMapper)}, what its streaming calls wrap around the HTTP
         * response. It is Kotlin-internal ({@code @JvmSynthetic}, invisible to javac), so it is
         * looked up by name; called once per trial, it costs nothing per operation.
         */
        @SuppressWarnings("unchecked")
        static <H> H sdkHandler(Class<?> owner, Class<?> handlerType, com.fasterxml.jackson.databind.json.JsonMapper mapper) {
            try {
                return (H) MethodHandles.publicLookup().findStatic(owner, "sseHandler",
                        MethodType.methodType(handlerType, com.fasterxml.jackson.databind.json.JsonMapper.class)).invoke(mapper);
            } catch (Throwable t) {
                throw new IllegalStateException(owner.getName() + ".sseHandler", t);
            }
        }

        Peers() {
            springHeaders.setContentType(org.springframework.http.MediaType.TEXT_EVENT_STREAM);
            try {
                jakarta.inject.Provider<org.glassfish.jersey.message.MessageBodyWorkers> noWorkers = () -> null;
                jerseyReader = JERSEY_NEW.invokeExact(noWorkers);
            } catch (Throwable t) {
                throw new IllegalStateException("Jersey's InboundEventReader", t);
            }
        }

        /** A 200 response whose body is the corpus, as the Anthropic SDK's HTTP client hands it over. */
        record AnthropicResponse(InputStream body) implements com.anthropic.core.http.HttpResponse {
            @Override
            public int statusCode() {
                return 200;
            }

            @Override
            public com.anthropic.core.http.Headers headers() {
                return com.anthropic.core.http.Headers.builder().build();
            }

            @Override
            public void close() {
            }
        }

        /** A 200 response whose body is the corpus, as the OpenAI SDK's HTTP client hands it over. */
        record OpenAiResponse(InputStream body) implements com.openai.core.http.HttpResponse {
            @Override
            public int statusCode() {
                return 200;
            }

            @Override
            public com.openai.core.http.Headers headers() {
                return com.openai.core.http.Headers.builder().build();
            }

            @Override
            public void close() {
            }
        }
    }
}
