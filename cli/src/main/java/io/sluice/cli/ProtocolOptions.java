package io.sluice.cli;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.sluice.netty.SseServerProtocols;
import picocli.CommandLine.Option;

import javax.net.ssl.KeyManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The protocols {@code sluice serve} and {@code sluice relay} speak (a picocli mixin): plain
 * HTTP/1.1 by default; TLS with HTTP/2 or HTTP/1.1 by ALPN; HTTP/2 over plain text by prior
 * knowledge ({@link SseServerProtocols}).
 */
final class ProtocolOptions {
    private static final String STORE_PASSWORD = "sluice"; // a file that lives a second, in a folder of our own

    @Option(names = "--tls", arity = "2", paramLabel = "FILE",
            description = "Serve TLS with this certificate chain and private key (two PEM files, CERT KEY); "
                    + "clients get HTTP/2 or HTTP/1.1, as their ALPN asks.")
    private List<Path> tls;

    @Option(names = "--tls-self-signed",
            description = "Serve TLS with a certificate made at start for localhost and 127.0.0.1 (by the JDK's keytool), "
                    + "to try HTTP/2 locally: clients must skip the check (curl -k); its SHA-256 fingerprint is printed.")
    private boolean selfSigned;

    @Option(names = "--h2c",
            description = "Also serve HTTP/2 over plain text to clients that start with its preface "
                    + "(curl --http2-prior-knowledge); others get HTTP/1.1.")
    private boolean h2c;

    /** The configured protocols; {@code notices} hears the self-signed certificate's fingerprint. */
    Protocols protocols(Consumer<String> notices) {
        if (tls != null && selfSigned) {
            throw new UsageException("--tls and --tls-self-signed: choose one");
        }
        if (tls != null && h2c) {
            throw new UsageException("--h2c is for plain text; with --tls, clients get HTTP/2 by ALPN");
        }
        try {
            if (tls != null) {
                for (Path file : tls) {
                    if (!Files.isReadable(file)) {
                        throw new InputException("cannot read " + file);
                    }
                }
                return new Protocols(SseServerProtocols.alpn(SslContextBuilder.forServer(tls.get(0).toFile(), tls.get(1).toFile()))
                        .build(), false);
            }
            if (selfSigned) {
                return new Protocols(selfSigned(notices), false);
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new InputException("cannot serve TLS: " + e.getMessage(), e);
        }
        return new Protocols(null, h2c);
    }

    /**
     * A key pair and certificate for localhost, made by the JDK's own {@code keytool} into a
     * PKCS#12 file that is read back and deleted: the JDK has no public API to sign a
     * certificate, and a library for it (BouncyCastle) would triple the command's jar for a
     * try-it-locally mode.
     */
    private static SslContext selfSigned(Consumer<String> notices) throws IOException, GeneralSecurityException {
        Path dir = Files.createTempDirectory("sluice-tls");
        Path store = dir.resolve("self-signed.p12");
        try {
            Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
            Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "sluice", "-keyalg", "EC",
                    "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                    "-validity", "30", "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD)
                    .redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool failed: " + output.strip());
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, STORE_PASSWORD.toCharArray());
            }
            Certificate cert = keys.getCertificate("sluice");
            notices.accept("self-signed certificate for localhost and 127.0.0.1, SHA-256 "
                    + HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded())));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, STORE_PASSWORD.toCharArray());
            return SseServerProtocols.alpn(SslContextBuilder.forServer(kmf)).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        } finally {
            Files.deleteIfExists(store);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * What a server speaks.
     *
     * @param tls the server's TLS context, with ALPN; null for plain text
     * @param h2c plain text also serves HTTP/2 by prior knowledge
     */
    record Protocols(SslContext tls, boolean h2c) {
        static final Protocols PLAIN = new Protocols(null, false);

        String scheme() {
            return tls == null ? "http" : "https";
        }

        /** {@code builder} set to speak these protocols. */
        SseServerProtocols.Builder applyTo(SseServerProtocols.Builder builder) {
            return builder.tls(tls).h2c(h2c);
        }

        /** How the banner names them: {@code HTTP/1.1}, {@code HTTP/1.1 and h2c}, {@code TLS (h2, HTTP/1.1)}. */
        String describe() {
            return tls != null ? "TLS (h2, HTTP/1.1)" : h2c ? "HTTP/1.1 and h2c" : "HTTP/1.1";
        }
    }
}
