package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import io.sluice.core.testing.ReadmeSection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/replay.md's failure capture example, compiled and run against a loopback server that cuts
 * its stream. Between {@code // readme:capture} and {@code // end}, shown verbatim.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FailureCaptureReadmeExampleTest {
    private static final EventLoopGroup group = TestLoops.nio(1);
    @RegisterExtension
    static final AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);

    @TempDir
    Path failures;

    @Test
    void aCutStreamLeavesTheFileTheExampleNames() throws Exception {
        try (LoopbackServer server = LoopbackServer.start(group, (ch, request) -> LoopbackServer.writeAndClose(ch,
                LoopbackServer.SSE_HEADERS_CHUNKED + LoopbackServer.chunk("data: one\n\n") + LoopbackServer.chunk("data: tw")))) {
            URI uri = server.uri("/v1/messages");
            Recorder listener = new Recorder();
            // readme:capture
            SseClient client = SseClient.builder()
                    .captureFailures(SseFailureCapture.builder(failures) // a folder, made if missing
                            .maxBodyBytes(64 * 1024) // the last 64 KiB of each stream's body
                            .maxFiles(100) // past this, the oldest file goes
                            .build())
                    .build();
            SseStream stream = client.open(SseRequest.get(uri), listener);
            stream.done().exceptionally(error -> {
                System.err.println(error.getMessage() + "; replay it: sluice replay " + stream.failureCapture());
                return null;
            });
            // end
            assertInstanceOf(SseClosedEarlyException.class, listener.awaitEnd());
            client.close(); // waits for the file
            assertTrue(Files.exists(stream.failureCapture()));
            assertEquals(failures, stream.failureCapture().getParent());
        }
    }

    @Test
    void docsShowThisExampleVerbatim() throws Exception {
        ReadmeSection.assertShowsVerbatim(FailureCaptureReadmeExampleTest.class, "failure capture examples", 1);
    }
}
