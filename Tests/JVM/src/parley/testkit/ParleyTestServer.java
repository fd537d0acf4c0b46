package parley.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A disposable Parley for JVM integration tests (Jicofo, jicoco, the videobridge): starts {@code parley serve
 * --ephemeral} as a child process, reads the one JSON line of ports it prints, talks to its control API
 * (Docs/Testing-Jicofo.md) and stops it. Plain JDK 17: {@link ProcessBuilder} and {@link HttpClient}, nothing else.
 *
 * <pre>{@code
 * try (ParleyTestServer parley = ParleyTestServer.start(Path.of("parley"), "focus@auth.meet.jitsi:secret")) {
 *     int c2s = parley.port("c2s");            // point Jicofo's xmpp.client.port here
 *     parley.reset();                           // between tests
 *     Map<String, Object> room = parley.room("abc@muc.meet.jitsi");
 * }
 * }</pre>
 */
public final class ParleyTestServer implements AutoCloseable {
    private final Process process;
    private final Map<String, Object> ports;
    private final HttpClient http;
    private final URI control;

    private ParleyTestServer(Process process, Map<String, Object> ports) {
        this.process = process;
        this.ports = ports;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        this.control = URI.create("http://127.0.0.1:" + port("control") + "/control/");
    }

    /**
     * Starts {@code parley serve --ephemeral} with the given accounts ({@code JID:PASSWORD}) and waits, at most 10
     * seconds, for its JSON line. The server's log (stderr) goes to this process's stderr.
     */
    public static ParleyTestServer start(Path parley, String... accounts) throws IOException {
        List<String> command = new ArrayList<>(List.of(parley.toString(), "serve", "--ephemeral"));
        for (String account : accounts) {
            command.add("--account");
            command.add(account);
        }
        Process process = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        process.getOutputStream().close();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> firstLine = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = firstLine.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            line = null;
        }
        if (line == null) {
            process.destroyForcibly();
            throw new IOException("parley printed no JSON line of ports within 10 s (exit: "
                    + (process.isAlive() ? "still running" : process.exitValue()) + ")");
        }
        Object parsed = MiniJson.parse(line);
        if (!(parsed instanceof Map<?, ?> map) || !(map.get("control") instanceof Number)) {
            process.destroyForcibly();
            throw new IOException("parley's first line is not its ports: " + line);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> ports = (Map<String, Object>) map;
        return new ParleyTestServer(process, ports);
    }

    /** A port from the JSON line: {@code c2s}, {@code c2s_tls}, {@code http}, {@code control}. */
    public int port(String name) {
        Object value = ports.get(name);
        if (!(value instanceof Number number)) throw new IllegalArgumentException("no port " + name + " in " + ports);
        return number.intValue();
    }

    // ---- The control API ----------------------------------------------------------------------------------------

    /** {@code POST /control/reset}: rooms destroyed, sessions closed, accounts as configured, faults cleared. */
    public Map<String, Object> reset() throws IOException {
        return object(call("POST", "reset", null));
    }

    /** {@code GET /control/rooms}: every room. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> rooms() throws IOException {
        return (List<Map<String, Object>>) object(call("GET", "rooms", null)).get("rooms");
    }

    /** {@code GET /control/rooms/{jid}}: occupants, roles, affiliations, configuration, focus lock; null if none. */
    public Map<String, Object> room(String jid) throws IOException {
        HttpResponse<String> response = send("GET", "rooms/" + encode(jid), null);
        return response.statusCode() == 404 ? null : object(check(response));
    }

    /** {@code GET /control/sessions}. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> sessions() throws IOException {
        return (List<Map<String, Object>>) object(call("GET", "sessions", null)).get("sessions");
    }

    /** {@code POST /control/accounts}. */
    public void addAccount(String jid, String password) throws IOException {
        call("POST", "accounts", "{\"jid\":" + MiniJson.quote(jid) + ",\"password\":" + MiniJson.quote(password) + "}");
    }

    /** {@code POST /control/sessions/drop}: cuts the connection(s) of a full or bare JID, as a crash would. */
    public void dropConnection(String jid) throws IOException {
        call("POST", "sessions/drop", "{\"jid\":" + MiniJson.quote(jid) + "}");
    }

    /** {@code POST /control/faults} with a rule as JSON text; returns the rule with its id. */
    public Map<String, Object> addFault(String ruleJson) throws IOException {
        return object(call("POST", "faults", ruleJson));
    }

    /**
     * {@code GET /control/events?…}: subscribes, and returns once the server confirms ({@code : subscribed}); what
     * the server does afterwards is in the stream. Close it when done.
     */
    public Events events(Map<String, String> filter) throws IOException {
        String query = filter.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(control.resolve("events" + (query.isEmpty() ? "" : "?" + query)))
                .GET().build();
        HttpResponse<Stream<String>> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("GET /control/events: HTTP " + response.statusCode());
        }
        return new Events(response.body());
    }

    /** The event stream: each event's JSON object, in order. */
    public static final class Events implements AutoCloseable {
        private final Stream<String> lines;
        private final BlockingQueue<Map<String, Object>> queue = new LinkedBlockingQueue<>();

        Events(Stream<String> lines) throws IOException {
            this.lines = lines;
            var iterator = lines.iterator();
            if (!iterator.hasNext() || !iterator.next().startsWith(": subscribed")) {
                throw new IOException("the event stream did not start with ': subscribed'");
            }
            Thread reader = new Thread(() -> {
                try {
                    while (iterator.hasNext()) {
                        String line = iterator.next();
                        if (line.startsWith("data: ")) {
                            @SuppressWarnings("unchecked")
                            Map<String, Object> event = (Map<String, Object>) MiniJson.parse(line.substring(6));
                            queue.add(event);
                        }
                    }
                } catch (RuntimeException closed) {
                    // the stream was closed
                }
            }, "parley-events");
            reader.setDaemon(true);
            reader.start();
        }

        /** The next event that passes {@code predicate}, skipping others; waits at most {@code timeout}. */
        public Map<String, Object> next(Predicate<Map<String, Object>> predicate, Duration timeout)
                throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                Map<String, Object> event = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
                if (event == null) throw new AssertionError("no matching event within " + timeout);
                if (predicate.test(event)) return event;
            }
        }

        @Override
        public void close() {
            lines.close();
        }
    }

    // ---- Stopping -------------------------------------------------------------------------------------------------

    /** SIGTERM, then at most 5 seconds for a clean exit, then SIGKILL. Returns the exit status. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The process's exit status once {@link #close()} returned. */
    public int exitValue() {
        return process.exitValue();
    }

    // ---- HTTP -----------------------------------------------------------------------------------------------------

    private HttpResponse<String> send(String method, String path, String json) throws IOException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(control.resolve(path)).timeout(Duration.ofSeconds(10));
        builder.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) builder.header("Content-Type", "application/json");
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private String call(String method, String path, String json) throws IOException {
        return check(send(method, path, json));
    }

    private static String check(HttpResponse<String> response) throws IOException {
        if (response.statusCode() / 100 != 2) {
            throw new IOException(response.request().method() + " " + response.uri().getPath() + ": HTTP "
                    + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String json) {
        return (Map<String, Object>) MiniJson.parse(json);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
