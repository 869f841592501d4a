import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Asks 127.0.0.1:PORT for a stream and reads nothing for SECONDS. {@code java StalledClient.java PORT SECONDS} */
public class StalledClient {
    public static void main(String[] args) throws IOException, InterruptedException {
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])));
            socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Thread.sleep((long) (Double.parseDouble(args[1]) * 1000));
        }
    }
}
