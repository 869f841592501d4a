package io.sluice.cli;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;

/**
 * Answers a GET or HEAD for a regular file under one folder ({@code /} is {@code index.html}) and
 * passes every other request on: with {@code sluice relay --static DIR}, a page and the stream it
 * reads share one origin, so a browser's {@code EventSource} and {@code fetch} need no CORS.
 *
 * <p>The file goes out as a {@link DefaultFileRegion} (the kernel copies it; the event loop never
 * blocks on a read), as Netty's own static file server does when there is no TLS. Paths that leave
 * the folder, by {@code ..} or by a link, are not files here: they are passed on, as are requests
 * the codec failed to decode.
 */
@ChannelHandler.Sharable
final class StaticFiles extends ChannelInboundHandlerAdapter {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "txt", "text/plain; charset=utf-8");

    private final Path root;

    StaticFiles(Path root) throws IOException {
        this.root = root.toRealPath();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
        // A request the codec failed to decode is a stand-in, not the client's request: never a file.
        Path file = msg instanceof FullHttpRequest request && request.decoderResult().isSuccess() ? fileFor(request) : null;
        if (file == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        FullHttpRequest request = (FullHttpRequest) msg;
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        boolean head = request.method().equals(HttpMethod.HEAD);
        request.release();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        long length = channel.size();
        HttpResponse response = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
        String name = file.getFileName().toString();
        String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, TYPES.getOrDefault(extension, "application/octet-stream"))
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setContentLength(response, length);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.write(response);
        if (head) {
            channel.close();
        } else {
            ctx.write(new DefaultFileRegion(channel, 0, length)); // the region closes the channel when released
        }
        var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The regular file under the root that a GET or HEAD names; null for anything else. */
    private Path fileFor(FullHttpRequest request) {
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
            return null;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (path.endsWith("/")) {
            path += "index.html";
        }
        try {
            Path file = root.resolve(path.substring(1)).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            return file.toRealPath().startsWith(root) ? file : null;
        } catch (IOException | RuntimeException notAFile) { // an invalid path, a file that vanished
            return null;
        }
    }
}
