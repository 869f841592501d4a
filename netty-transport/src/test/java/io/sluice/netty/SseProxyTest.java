package io.sluice.netty;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SseProxy} as a value: URLs, the environment, the JDK's properties, no-proxy patterns. No sockets. */
class SseProxyTest {

    @Test
    void anHttpUrlWithPercentEncodedCredentialsParses() {
        SseProxy proxy = SseProxy.parse("http://me%40corp:p%3Ass+w%2Fd@proxy.corp:3128/");
        assertEquals(SseProxy.Protocol.HTTP, proxy.protocol());
        assertEquals("proxy.corp", proxy.host());
        assertEquals(3128, proxy.port());
        assertEquals("me@corp", proxy.username());
        assertEquals("p:ss+w/d", proxy.password(), "a '+' in user info is a plus, not a space");
    }

    @ParameterizedTest
    @CsvSource({
        "socks5://127.0.0.1:1081, SOCKS5, 127.0.0.1, 1081",
        "socks5h://gate.corp, SOCKS5, gate.corp, 1080",
        "SOCKS5://gate.corp:9, SOCKS5, gate.corp, 9",
        "http://proxy.corp, HTTP, proxy.corp, 80",
        "proxy.corp:8080, HTTP, proxy.corp, 8080",
        "http://[::1]:3128, HTTP, ::1, 3128",
    })
    void schemesAndDefaultPorts(String url, SseProxy.Protocol protocol, String host, int port) {
        SseProxy proxy = SseProxy.parse(url);
        assertEquals(protocol, proxy.protocol());
        assertEquals(host, proxy.host());
        assertEquals(port, proxy.port());
        assertFalse(proxy.hasCredentials());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "https://user:hunter2@proxy.corp:443 | unsupported proxy scheme https://",
        "socks4://user:hunter2@proxy.corp | unsupported proxy scheme socks4://",
        "http://user:hunter2@proxy.corp:3128/path | not a proxy URL",
        "http://user:hunter2@proxy.corp:99999 | not a port",
        "http://user:hunter2%zz@proxy.corp:3128 | not a proxy URL: http://***@proxy.corp:3128",
        "http://user:hunter2@ | not a proxy URL",
    })
    void aBadUrlIsRefusedWithoutQuotingItsPassword(String url, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SseProxy.parse(url));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void toStringNamesTheProxyButNoCredential() {
        SseProxy proxy = SseProxy.http("proxy.corp", 3128).withCredentials("alice", "hunter2").withNoProxy("localhost");
        assertEquals("http proxy proxy.corp:3128 with credentials, no proxy for [localhost]", proxy.toString());
        assertEquals("socks5 proxy [::1]:1080", SseProxy.socks5("[::1]", 1080).toString());
        assertFalse(proxy.toString().contains("alice"));
    }

    @Test
    void theEnvironmentPrefersTheHttpsProxyAndReadsNoProxy() {
        Map<String, String> env = new HashMap<>();
        assertEquals(Optional.empty(), SseProxy.fromEnvironment(env));
        env.put("ALL_PROXY", "socks5://socks.corp:1080");
        assertEquals(SseProxy.socks5("socks.corp", 1080), SseProxy.fromEnvironment(env).orElseThrow());
        env.put("http_proxy", "http://lower-http.corp:3128");
        assertEquals("lower-http.corp", SseProxy.fromEnvironment(env).orElseThrow().host());
        env.put("HTTP_PROXY", "http://http.corp:3128");
        assertEquals("http.corp", SseProxy.fromEnvironment(env).orElseThrow().host());
        env.put("https_proxy", "http://lower-https.corp:3128");
        assertEquals("lower-https.corp", SseProxy.fromEnvironment(env).orElseThrow().host());
        env.put("HTTPS_PROXY", "http://u:p@https.corp:8443");
        env.put("no_proxy", "ignored.corp");
        env.put("NO_PROXY", " localhost, .internal.corp ,10.0.0.7 ");
        SseProxy proxy = SseProxy.fromEnvironment(env).orElseThrow();
        assertEquals(SseProxy.http("https.corp", 8443).withCredentials("u", "p")
                .withNoProxy("localhost", ".internal.corp", "10.0.0.7"), proxy);
    }

    @Test
    void aBlankVariableIsUnsetAndLowerCaseNoProxyIsRead() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "  ", "HTTP_PROXY", "http.corp:3128", "no_proxy", "a.corp,b.corp");
        SseProxy proxy = SseProxy.fromEnvironment(env).orElseThrow();
        assertEquals("http.corp", proxy.host());
        assertEquals(List.of("a.corp", "b.corp"), proxy.noProxy());
    }

    @Test
    void aMalformedVariableIsNamedWithoutItsPassword() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SseProxy.fromEnvironment(Map.of("HTTPS_PROXY", "ftp://u:hunter2@proxy.corp")));
        assertEquals("HTTPS_PROXY: unsupported proxy scheme ftp://, use http:// or socks5://: ftp://***@proxy.corp", e.getMessage());
    }

    @Test
    void systemPropertiesPreferHttpsThenHttpThenSocks() {
        Properties p = new Properties();
        assertEquals(Optional.empty(), SseProxy.fromSystemProperties(p));
        p.setProperty("socksProxyHost", "socks.corp");
        assertEquals(SseProxy.socks5("socks.corp", 1080).withNoProxy(List.of("localhost", "127.*", "[::1]", "0.0.0.0", "[::0]")),
                SseProxy.fromSystemProperties(p).orElseThrow(), "the JDK's default non-proxy hosts");
        p.setProperty("socksNonProxyHosts", "*.socks.corp");
        assertEquals(List.of("*.socks.corp"), SseProxy.fromSystemProperties(p).orElseThrow().noProxy());
        p.setProperty("http.proxyHost", "http.corp");
        p.setProperty("http.nonProxyHosts", "*.corp|localhost");
        assertEquals(SseProxy.http("http.corp", 80).withNoProxy("*.corp", "localhost"), SseProxy.fromSystemProperties(p).orElseThrow());
        p.setProperty("https.proxyHost", "https.corp");
        assertEquals(SseProxy.http("https.corp", 443).withNoProxy("*.corp", "localhost"), SseProxy.fromSystemProperties(p).orElseThrow());
        p.setProperty("https.proxyPort", "8443");
        assertEquals(8443, SseProxy.fromSystemProperties(p).orElseThrow().port());
        p.setProperty("https.proxyPort", "eighty");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SseProxy.fromSystemProperties(p));
        assertEquals("https.proxyPort is not a port: eighty", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
        "*, anything.example, true",
        ".example.com, example.com, true",
        ".example.com, api.example.com, true",
        ".example.com, API.Example.COM, true",
        ".example.com, notexample.com, false",
        "*.example.com, example.com, true",
        "*.example.com, a.b.example.com, true",
        "*example.com, notexample.com, true",
        "127.*, 127.0.0.1, true",
        "127.*, 10.127.0.1, false",
        "api.example.com, api.example.com, true",
        "api.example.com, www.api.example.com, false",
        "[::1], [::1], true",
        "::1, [::1], true",
        "localhost, localhost.example, false",
    })
    void noProxyPatterns(String pattern, String host, boolean bypassed) {
        assertEquals(bypassed, SseProxy.http("proxy.corp", 3128).withNoProxy(pattern).bypasses(host));
    }

    @Test
    void credentialsAndHostsAreCheckedWhereTheyAreGiven() {
        assertThrows(NullPointerException.class, () -> SseProxy.http("proxy.corp", 3128).withCredentials(null, "x"));
        assertThrows(IllegalArgumentException.class, () -> SseProxy.http(" ", 3128));
        assertThrows(IllegalArgumentException.class, () -> SseProxy.socks5("proxy.corp", 0));
        assertThrows(IllegalArgumentException.class,
                () -> SseProxy.socks5("proxy.corp", 1080).withCredentials("u", "p".repeat(256)), "RFC 1929: 255 bytes");
    }
}
