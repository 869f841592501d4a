/**
 * Test support shared with the other modules' tests through the transport's test jar: the loopback
 * HTTP CONNECT and SOCKS5 proxies the client's proxy tests, and the CLI's, go through.
 */
package io.sluice.netty.testing;
