package io.sluice.cli;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * What {@code sluice relay} relays: GET and POST, to one path when {@code --path} names one. Every
 * other request is answered here ({@code 405} with {@code Allow}, {@code 404}), so that a CORS
 * preflight, a browser's favicon request or a stray probe never opens an upstream request (which
 * a provider may bill). Malformed requests pass on, for the relay to answer {@code 400}.
 */
@ChannelHandler.Sharable
final class RelayGate extends ChannelInboundHandlerAdapter {
    private final String path;

    /** @param path the one path relayed; null relays every path */
    RelayGate(String path) {
        this.path = path;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request) || request.decoderResult().isFailure()) {
            ctx.fireChannelRead(msg);
            return;
        }
        HttpMethod method = request.method();
        HttpResponseStatus refusal = !method.equals(HttpMethod.GET) && !method.equals(HttpMethod.POST)
                ? HttpResponseStatus.METHOD_NOT_ALLOWED
                : path != null && !new QueryStringDecoder(request.uri()).path().equals(path) ? HttpResponseStatus.NOT_FOUND
                : null;
        if (refusal == null) {
            ctx.fireChannelRead(msg);
            return;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), refusal);
        request.release();
        if (refusal == HttpResponseStatus.METHOD_NOT_ALLOWED) {
            response.headers().set(HttpHeaderNames.ALLOW, "GET, POST");
        }
        HttpUtil.setContentLength(response, 0);
        HttpUtil.setKeepAlive(response, keepAlive);
        ChannelFuture sent = ctx.writeAndFlush(response);
        if (!keepAlive) {
            sent.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
