package io.sluice.cli;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
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
import io.netty.handler.ssl.SslHandler;

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
 * <p>On a plain HTTP/1.1 connection the file goes out as a {@link DefaultFileRegion} (the kernel
 * copies it; the event loop never blocks on a read), as Netty's own static file server does when
 * there is no TLS. Over TLS the bytes must be encrypted, and over HTTP/2 framed, in the JVM: there
 * the file is read whole into one buffer, on the event loop. That suits what {@code --static} is
 * for, a page and its scripts of some kilobytes beside the stream; a large download would hold
 * its size in memory while it is sent (Netty's {@code ChunkedWriteHandler} would bound that, at the
 * price of a handler every relayed event passes through). Paths that leave the folder, by
 * {@code ..} or by a link, are not files here: they are passed on, as are requests the codec
 * failed to decode.
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
        HttpUtil.setKeepAlive(response, keepAlive);
        if (head) {
            channel.close();
            HttpUtil.setContentLength(response, length);
            ctx.write(response);
        } else if (ctx.channel() instanceof SocketChannel && ctx.pipeline().get(SslHandler.class) == null) {
            HttpUtil.setContentLength(response, length);
            ctx.write(response);
            ctx.write(new DefaultFileRegion(channel, 0, length)); // the region closes the channel when released
        } else {
            ByteBuf content = readWhole(ctx, channel, length);
            HttpUtil.setContentLength(response, content.readableBytes());
            ctx.write(response);
            ctx.write(new DefaultHttpContent(content));
        }
        var last = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        if (!keepAlive) {
            last.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The file's bytes, read on the calling thread into a buffer the caller writes (and so
     * releases); {@code channel} is closed. A file that shrank since its size was read gives what it
     * still has, and the response's length says so.
     */
    private static ByteBuf readWhole(ChannelHandlerContext ctx, FileChannel channel, long length) throws IOException {
        try (channel) {
            if (length > Integer.MAX_VALUE) {
                throw new IOException("a file over TLS or HTTP/2 is read whole, and this one has " + length + " bytes");
            }
            ByteBuf content = ctx.alloc().buffer((int) length);
            try {
                // The bytes read so far are the file position to read from; -1 is the file's end.
                while (content.isWritable() && content.writeBytes(channel, content.writerIndex(), content.writableBytes()) > 0) {
                    // until the size read above, or the file's end
                }
                return content;
            } catch (IOException | RuntimeException e) {
                content.release();
                throw e;
            }
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
