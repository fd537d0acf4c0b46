package parley.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A plain-JDK test of {@link ParleyTestServer} (run by Scripts/test: {@code javac}, then {@code java
 * parley.testkit.ParleyTestServerTest PATH_TO_PARLEY}). It starts the server, logs in as Jicofo's account over
 * STARTTLS with a minimal XMPP client, creates a room, and checks what the control API reports: the events, the
 * room, the sessions, then a reset. Exits 0 when every check passes.
 */
public final class ParleyTestServerTest {
    private static final String ROOM = "jvmexample@muc.meet.jitsi";

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !Files.isExecutable(Path.of(args[0]))) {
            System.err.println("usage: ParleyTestServerTest PATH_TO_PARLEY");
            System.exit(2);
        }
        ParleyTestServer parley = ParleyTestServer.start(Path.of(args[0]), "focus@auth.meet.jitsi:focus-secret");
        try {
            check(parley.port("c2s") > 0 && parley.port("control") > 0 && parley.port("c2s") != parley.port("control"),
                    "the JSON line names the c2s and control ports");
            check(parley.rooms().isEmpty(), "a fresh server has no room");

            try (ParleyTestServer.Events events = parley.events(Map.of("room", ROOM));
                 MiniXmpp focus = MiniXmpp.login(parley.port("c2s"), "auth.meet.jitsi", "focus", "focus-secret", "focus")) {
                focus.send("<presence to='" + ROOM + "/focus'><x xmlns='http://jabber.org/protocol/muc'/></presence>");
                focus.readUntil("code='110'");
                Map<String, Object> created = events.next(e -> "room_created".equals(e.get("kind")), Duration.ofSeconds(5));
                check(ROOM.equals(created.get("room")), "room_created names the room: " + created);
                Map<String, Object> joined = events.next(e -> "joined".equals(e.get("kind")), Duration.ofSeconds(5));
                check("focus".equals(joined.get("nick")) && "moderator".equals(joined.get("role"))
                        && "owner".equals(joined.get("affiliation")), "focus joined as an owner and moderator: " + joined);

                Map<String, Object> room = parley.room(ROOM);
                check(room != null, "GET /control/rooms/{jid} finds the room");
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> occupants = (List<Map<String, Object>>) room.get("occupants");
                check(occupants.size() == 1 && "focus".equals(occupants.get(0).get("nick")), "one occupant, focus: " + room);
                check(parley.sessions().stream().anyMatch(s -> "focus@auth.meet.jitsi/focus".equals(s.get("jid"))),
                        "GET /control/sessions lists focus's session");
                check(parley.room("nosuchroom@muc.meet.jitsi") == null, "an unknown room is null (404)");

                Map<String, Object> reset = parley.reset();
                check(Double.valueOf(1).equals(reset.get("rooms_destroyed"))
                        && Double.valueOf(1).equals(reset.get("sessions_closed")), "the reset ended one room and one session: " + reset);
                focus.readUntil("<reset");
                check(parley.rooms().isEmpty() && parley.sessions().isEmpty(), "nothing is left after the reset");
                events.next(e -> "room_destroyed".equals(e.get("kind")), Duration.ofSeconds(5));
            }
        } finally {
            parley.close();
        }
        check(parley.exitValue() == 0, "parley exits 0 on SIGTERM (got " + parley.exitValue() + ")");
        System.out.println("ParleyTestServerTest: all checks passed");
    }

    private static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
        System.out.println("ok - " + what);
    }

    /** The least XMPP client that logs in: RFC 6120 stream, STARTTLS (the test certificate is not verified), PLAIN, bind. */
    static final class MiniXmpp implements AutoCloseable {
        private Socket socket;
        private InputStream in;
        private OutputStream out;
        private final StringBuilder received = new StringBuilder();

        static MiniXmpp login(int port, String domain, String user, String password, String resource) throws Exception {
            MiniXmpp client = new MiniXmpp();
            client.socket = new Socket("127.0.0.1", port);
            client.socket.setSoTimeout(5000);
            client.streams();
            client.open(domain);
            client.readUntil("</stream:features>");
            client.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
            client.readUntil("<proceed");
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {new TrustEverything()}, null);
            SSLSocket secured = (SSLSocket) tls.getSocketFactory().createSocket(client.socket, "127.0.0.1", port, true);
            secured.startHandshake();
            client.socket = secured;
            client.streams();
            client.open(domain);
            client.readUntil("</stream:features>");
            String plain = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
            client.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + plain + "</auth>");
            client.readUntil("<success");
            client.open(domain);
            client.readUntil("</stream:features>");
            client.send("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" + resource
                    + "</resource></bind></iq>");
            client.readUntil("</iq>");
            return client;
        }

        private void streams() throws IOException {
            in = socket.getInputStream();
            out = socket.getOutputStream();
            received.setLength(0);
        }

        private void open(String domain) throws IOException {
            received.setLength(0);
            send("<?xml version='1.0'?><stream:stream to='" + domain + "' version='1.0' xmlns='jabber:client' "
                    + "xmlns:stream='http://etherx.jabber.org/streams'>");
        }

        void send(String xml) throws IOException {
            out.write(xml.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Reads until {@code marker} has arrived (what came before it is dropped); fails after 5 s of silence. */
        void readUntil(String marker) throws IOException {
            byte[] buffer = new byte[8192];
            while (received.indexOf(marker) < 0) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("no " + marker + " from the server; got: " + received);
                }
                if (n < 0) throw new AssertionError("the server closed the connection before " + marker + "; got: " + received);
                received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            }
            received.delete(0, received.indexOf(marker) + marker.length());
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Accepts the ephemeral server's self-signed certificate (Jicofo's {@code disable-certificate-verification}). */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
