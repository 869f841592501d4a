package io.sluice.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.extension.AfterAllCallback;

import java.util.concurrent.TimeUnit;

/** Event loop groups for the tests' servers and clients, on either Netty line. */
final class TestLoops {
    private TestLoops() {
    }

    /**
     * NIO with {@code threads} threads. {@code NioEventLoopGroup} is deprecated in 4.2 but is the
     * only spelling 4.1 knows; the tests run on both lines ({@code -Pnetty41}).
     */
    @SuppressWarnings("deprecation")
    static EventLoopGroup nio(int threads) {
        return new NioEventLoopGroup(threads);
    }

    /**
     * Shuts {@code group} down after the test class: {@code @RegisterExtension static final
     * AfterAllCallback SHUT_DOWN = TestLoops.shutDownAfterAll(group);} beside the group's field.
     */
    static AfterAllCallback shutDownAfterAll(EventLoopGroup group) {
        return context -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
