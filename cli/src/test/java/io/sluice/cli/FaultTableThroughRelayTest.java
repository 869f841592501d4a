package io.sluice.cli;

import io.sluice.core.testing.JsonTree;
import io.sluice.netty.SseRelay;
import io.sluice.netty.SseRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.sluice.cli.SluiceRunner.SAMPLES;
import static io.sluice.cli.SluiceRunner.events;
import static io.sluice.cli.SluiceRunner.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/replay.md's fault table, its last column row by row (issue 19, item 6): each
 * {@code sluice serve --fault} mode, and mixes of them, behind {@code sluice relay} with the
 * command's defaults ({@code --attempts 3 --max-retry-after 2 --fallback-window 10}, the
 * LLM-aware hold, the message tap), alone and with a whole fallback behind it. Each row asserts
 * what the client gets (status, events, what its last event is) and the access log line's fields,
 * the way a gateway team's CI would. {@link ServeFaultTest} has the finer points of each fault
 * (every recorded form, the wire, each provider's shapes); this class is the table.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultTableThroughRelayTest {
    private static final String SAMPLE = "anthropic-text.sse";
    /** anthropic-text has 55 events; its first token is the 4th. */
    private static final int WHOLE = 55;

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private final BlockingQueue<SseRelay.Outcome> outcomes = new LinkedBlockingQueue<>();

    @AfterEach
    void closeEverythingOpened() throws Exception {
        for (AutoCloseable c; (c = opened.pollFirst()) != null; ) {
            c.close();
        }
    }

    private int serve(String sample, String specs) throws IOException {
        FaultPlan plan = FaultPlan.of(Stream.of(specs.split(" ")).map(new Fault.Converter()::convert).toList());
        ServeCommand.Served served = ServeCommand.faulted(InputKind.SSE, Files.readAllBytes(SAMPLES.resolve(sample)), sample,
                plan, null, Timing.NONE);
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), served.timing(Timing.NONE), true, served.reset());
        opened.push(server);
        return server.port();
    }

    private int serveWhole(String sample) throws IOException {
        ServeCommand.Served served = ServeCommand.served(InputKind.SSE, Files.readAllBytes(SAMPLES.resolve(sample)), sample, null,
                new java.io.PrintWriter(new java.io.StringWriter()));
        ReplayServer server = ReplayServer.start("127.0.0.1", 0, served.writes(), Timing.NONE, true, served.reset());
        opened.push(server);
        return server.port();
    }

    /** {@code sluice relay --upstream ... [--upstream ...] --idle-timeout S}, every other option at its default. */
    private int relay(double idleSeconds, List<Integer> upstreams) {
        List<SseRequest> requests = new ArrayList<>();
        for (int port : upstreams) {
            requests.add(GetCommand.getRequest("http://127.0.0.1:" + port));
        }
        RelayServer relay = RelayServer.start(new RelayServer.Options("127.0.0.1", 0, requests,
                RelayCommand.retryPolicy(3, Duration.ofSeconds(2), Duration.ofSeconds(10)), ProtocolOptions.Protocols.PLAIN,
                null, null, Duration.ZERO, GetCommand.seconds(idleSeconds), Duration.ofSeconds(300), false, 1 << 20, true, false),
                outcomes::add);
        opened.push(relay);
        return relay.port();
    }

    /** An access log line's {@code key=value} fields. */
    private static Map<String, String> fields(String line) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String word : line.split(" ")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                out.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return out;
    }

    /** What the client's last event is: its type, or for an {@code error} event {@code error:} and the JSON's {@code error.type}. */
    private static String lastEvent(List<String> records) {
        if (records.isEmpty()) {
            return "-";
        }
        Map<?, ?> last = (Map<?, ?>) JsonTree.of(records.get(records.size() - 1));
        String type = (String) last.get("event");
        if (!type.equals("error")) {
            return type;
        }
        Map<?, ?> data = (Map<?, ?>) JsonTree.of((String) last.get("data"));
        return "error:" + ((Map<?, ?>) data.get("error")).get("type");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # spec(s)                              | upstreams | idle | status | events | last event                 | at least (ms) | first attempt's end  | access log fields
            # cut:N -- events 1..N and the relay's upstream_closed_early; before the first token, with a fallback, the next upstream
            cut:5                                  | faulted   | 600  | 200    | 6      | error:upstream_closed_early | 0    | upstream_closed_early | upstream=200 events=6 end=upstream_closed_early answer=event_stream attempts=1 provider=anthropic stop=- error=stream_error
            cut:5                                  | +fallback | 600  | 200    | 6      | error:upstream_closed_early | 0    | upstream_closed_early | upstream=200 events=6 end=upstream_closed_early answer=event_stream attempts=1 provider=anthropic error=stream_error
            cut:2                                  | +fallback | 600  | 200    | 55     | message_stop               | 0    | upstream_closed_early | upstream=200 events=55 end=ok answer=event_stream attempts=2 provider=anthropic stop=end_turn error=-
            # cut:N:rst -- as cut:N
            cut:5:rst                              | faulted   | 600  | 200    | 6      | error:upstream_closed_early | 0    | upstream_closed_early | upstream=200 events=6 end=upstream_closed_early answer=event_stream attempts=1 error=stream_error
            cut:2:rst                              | +fallback | 600  | 200    | 55     | message_stop               | 0    | upstream_closed_early | upstream=200 events=55 end=ok attempts=2 stop=end_turn
            # stall:N:S -- the whole stream, late; an idle timeout below S: events 1..N and upstream_timeout (before the first token, with a fallback, the next upstream)
            stall:5:1                              | faulted   | 600  | 200    | 55     | message_stop               | 1000 | ok                    | upstream=200 events=55 end=ok answer=event_stream attempts=1 stop=end_turn error=-
            stall:5:1                              | faulted   | 0.5  | 200    | 6      | error:upstream_timeout      | 500  | upstream_timeout      | upstream=200 events=6 end=upstream_timeout answer=event_stream attempts=1 provider=anthropic error=stream_error
            stall:2:1                              | +fallback | 0.5  | 200    | 55     | message_stop               | 500  | upstream_timeout      | upstream=200 events=55 end=ok answer=event_stream attempts=2 stop=end_turn
            # status:CODE -- with a fallback, the next upstream; without, CODE and the body as they came (the log names who refused)
            status:529                             | faulted   | 600  | 529    | 0      | -                          | 0    | ok                    | upstream=529 events=0 end=ok answer=upstream_response attempts=1 provider=anthropic stop=- error=overloaded_error
            status:529                             | +fallback | 600  | 200    | 55     | message_stop               | 0    | upstream_status       | upstream=200 events=55 end=ok answer=event_stream attempts=2 stop=end_turn error=-
            status:400                             | +fallback | 600  | 400    | 0      | -                          | 0    | ok                    | upstream=400 events=0 end=ok answer=upstream_response attempts=1 provider=anthropic error=invalid_request_error
            # status:CODE:retry-after=S -- the same upstream again after S when S <= --max-retry-after, then as above
            status:429:retry-after=1               | faulted   | 600  | 429    | 0      | -                          | 2000 | upstream_status       | upstream=429 events=0 end=ok answer=upstream_response attempts=3 provider=anthropic error=rate_limit_error
            status:429:retry-after=5               | +fallback | 600  | 200    | 55     | message_stop               | 0    | upstream_status       | upstream=200 events=55 end=ok answer=event_stream attempts=2 stop=end_turn
            # error:N -- after the first token, events 1..N and the provider's error event as they came; before it, with a fallback, the next upstream
            error:5                                | +fallback | 600  | 200    | 6      | error:overloaded_error      | 0    | ok                    | upstream=200 events=6 end=ok answer=event_stream attempts=1 provider=anthropic stop=- error=overloaded_error
            error:2                                | +fallback | 600  | 200    | 55     | message_stop               | 0    | upstream_error_event  | upstream=200 events=55 end=ok answer=event_stream attempts=2 stop=end_turn error=-
            error:2                                | faulted   | 600  | 200    | 3      | error:overloaded_error      | 0    | ok                    | upstream=200 events=3 end=ok answer=event_stream attempts=1 provider=anthropic error=overloaded_error
            # drip:B -- the whole stream, in about size/B seconds
            drip:5000                              | faulted   | 600  | 200    | 55     | message_stop               | 1400 | ok                    | upstream=200 events=55 end=ok answer=event_stream attempts=1 stop=end_turn error=-
            # combined
            stall:4:0.3 drip:20000 cut:6:rst       | faulted   | 600  | 200    | 7      | error:upstream_closed_early | 300  | upstream_closed_early | upstream=200 events=7 end=upstream_closed_early attempts=1 error=stream_error
            stall:1:0.3 error:6                    | +fallback | 600  | 200    | 7      | error:overloaded_error      | 300  | ok                    | upstream=200 events=7 end=ok attempts=1 error=overloaded_error
            stall:1:2 cut:3                        | +fallback | 0.5  | 200    | 55     | message_stop               | 500  | upstream_timeout      | upstream=200 events=55 end=ok attempts=2 stop=end_turn
            """)
    void eachFaultReachesTheClientAndTheAccessLogAsTheTableSays(String specs, String upstreams, double idleSeconds, int status,
                                                                int events, String lastEvent, long atLeastMillis,
                                                                String firstAttemptEnd, String logFields) throws Exception {
        List<Integer> ports = new ArrayList<>(List.of(serve(SAMPLE, specs)));
        if (upstreams.equals("+fallback")) {
            ports.add(serveWhole(SAMPLE));
        }
        int relay = relay(idleSeconds, ports);
        long start = System.nanoTime();

        HttpResponse<String> response = post(relay, "/v1/messages");

        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(status, response.statusCode(), response::body);
        List<String> received = status == 200 ? events(response.body()) : List.of();
        assertEquals(events, received.size(), response::body);
        assertEquals(lastEvent, lastEvent(received));
        assertTrue(millis >= atLeastMillis, "took " + millis + " ms, at least " + atLeastMillis + " promised");
        SseRelay.Outcome outcome = outcomes.poll(10, TimeUnit.SECONDS);
        assertNotNull(outcome, "no outcome");
        assertEquals(firstAttemptEnd, outcome.attempts().get(0).end().wireName(), outcome::toString);
        String line = RelayCommand.accessLogLine(Instant.EPOCH, outcome);
        Map<String, String> logged = fields(line);
        fields(logFields).forEach((key, value) -> assertEquals(value, logged.get(key), () -> key + " in " + line));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', textBlock = """
            # a refusal passed on names its provider and error type from its body, in each provider's shape (OpenAI's 429 says type "requests")
            openai-chat-text.sse       | status:429 | /v1/chat/completions                   | 429 | provider=openai-chat error=requests
            openai-responses-text.sse  | status:500 | /v1/responses                          | 500 | provider=openai-responses error=server_error
            gemini-text.sse            | status:503 | /v1beta/models/g:streamGenerateContent | 503 | provider=gemini error=UNAVAILABLE
            anthropic-text.sse         | status:529 | /v1/messages                           | 529 | provider=anthropic error=overloaded_error
            """)
    void aRefusalPassedOnIsAttributedInTheAccessLog(String sample, String spec, String path, int status, String logFields)
            throws Exception {
        int relay = relay(600, List.of(serve(sample, spec)));

        HttpResponse<String> response = post(relay, path);

        assertEquals(status, response.statusCode());
        String line = RelayCommand.accessLogLine(Instant.EPOCH, outcomes.poll(10, TimeUnit.SECONDS));
        Map<String, String> logged = fields(line);
        assertEquals("upstream_response", logged.get("answer"), line);
        fields(logFields).forEach((key, value) -> assertEquals(value, logged.get(key), () -> key + " in " + line));
    }
}
