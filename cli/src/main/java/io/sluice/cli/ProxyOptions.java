package io.sluice.cli;

import io.sluice.netty.SseProxy;
import picocli.CommandLine.Option;

/**
 * The outbound proxy of {@code sluice get} and {@code sluice relay} (a picocli mixin): a proxy URL,
 * or the environment's settings, used only when asked for; and the hosts reached directly.
 */
final class ProxyOptions {
    @Option(names = "--proxy", paramLabel = "URL|env",
            description = "Reach the upstream through a proxy: http://[USER:PASSWORD@]HOST:PORT (CONNECT, for https and "
                    + "plain http alike) or socks5://[USER:PASSWORD@]HOST:PORT; 'env' takes HTTPS_PROXY, HTTP_PROXY or "
                    + "ALL_PROXY and NO_PROXY from the environment (direct when none is set). Default: direct.")
    private String proxy;

    @Option(names = "--no-proxy", paramLabel = "HOST,...",
            description = "With --proxy, hosts reached directly: names or addresses, .DOMAIN for a domain and its "
                    + "subdomains, * for every host; replaces NO_PROXY with --proxy env.")
    private String noProxy;

    /** The proxy these options name, or null for a direct connection; one line on a bad value, never quoting a password. */
    SseProxy proxy() {
        if (proxy == null) {
            if (noProxy != null) {
                throw new InputException("--no-proxy needs --proxy");
            }
            return null;
        }
        SseProxy chosen;
        try {
            chosen = proxy.equals("env") ? SseProxy.fromEnvironment().orElse(null) : SseProxy.parse(proxy);
        } catch (IllegalArgumentException e) {
            throw new InputException("--proxy: " + e.getMessage()); // the message leaves credentials out
        }
        return chosen == null || noProxy == null ? chosen : chosen.withNoProxy(noProxy.split(","));
    }
}
