import CoreMetrics
import NIOCore
import ParleyCore
import ParleyXML
import Prometheus
import Synchronization

/// The server's metrics, recorded through swift-metrics into a swift-prometheus registry of its own (no global
/// bootstrap), and rendered by that registry for `GET /metrics` (Docs/Operations.md lists them).
///
/// Three ways of counting, by how often a thing happens:
/// - per stanza (stanzas in and out, XEP-0198 queueing): plain integers in each event loop's `LoopCounters`,
///   added up on each loop when scraped and published as the counters' growth since the last scrape;
/// - per connection or per join (BOSH sids, stream-management sessions, errors, join latency): swift-metrics
///   instruments, whose swift-prometheus handlers are atomics (counters) or one short lock (the histogram);
/// - states (connections, rooms, occupants, focus, bridges): gauges computed at scrape time from the registries
///   that hold them, so nothing is counted twice or drifts.
public final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    let loops = LoopCounterTable()

    let boshNewSID: CoreMetrics.Counter
    let boshBadSID: CoreMetrics.Counter
    let smacksStarted: CoreMetrics.Counter
    let smacksResumptionExpired: CoreMetrics.Counter
    /// From a join presence reaching the MUC service to the room admitting it (held joins included).
    let joinLatency: CoreMetrics.Timer
    private let parserErrors: [XMLStreamError.Kind: CoreMetrics.Counter]
    private let published = Mutex(Published())

    /// What the per-loop counters had reached at the last scrape, and the connection labels seen so far (a label
    /// set that empties is published as 0, not left at its last value).
    private struct Published {
        var total = LoopSnapshot()
        var connectionLabels: Set<ConnectionLabels> = []
    }

    /// Join latency buckets, in seconds: a join on an idle server takes well under a millisecond, one held by the
    /// focus lock as long as Jicofo takes.
    static let joinBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[Name.joinSeconds] = ServerMetrics.joinBuckets
        self.registry = registry
        self.factory = factory
        self.boshNewSID = CoreMetrics.Counter(label: Name.boshNewSID, factory: factory)
        self.boshBadSID = CoreMetrics.Counter(label: Name.boshBadSID, factory: factory)
        self.smacksStarted = CoreMetrics.Counter(label: Name.smacksStarted, factory: factory)
        self.smacksResumptionExpired = CoreMetrics.Counter(label: Name.smacksResumptionExpired, factory: factory)
        self.joinLatency = CoreMetrics.Timer(label: Name.joinSeconds, factory: factory)
        var parserErrors: [XMLStreamError.Kind: CoreMetrics.Counter] = [:]
        for (kind, label) in ServerMetrics.parserErrorLabels {
            parserErrors[kind] = CoreMetrics.Counter(
                label: Name.streamErrors,
                dimensions: [("kind", label)],
                factory: factory
            )
        }
        self.parserErrors = parserErrors
        // Present from the first scrape, at zero, so dashboards and alerts see the series.
        for kind in ["reset", "broken_pipe", "timeout", "other"] {
            CoreMetrics.Counter(label: Name.connectionErrors, dimensions: [("kind", kind)], factory: factory)
                .increment(by: 0)
        }
        _ = self.stanzaCounter(Name.received, .c2s, .message)
    }

    /// Prometheus names: Prosody's for what Prosody measures (docker-jitsi-meet's Grafana dashboard reads them),
    /// `parley_` for the rest.
    enum Name {
        static let c2sConnections = "prosody_mod_c2s__connections"
        static let boshActive = "prosody_mod_bosh__active_sessions"
        static let boshNewSID = "prosody_mod_bosh__new_sid_total"
        static let boshBadSID = "prosody_mod_bosh__bad_sid_total"
        static let smacksStarted = "prosody_mod_smacks__sessions_started_total"
        static let smacksResumptionExpired = "prosody_mod_smacks__session_resumption_expired_total"
        static let smacksQueued = "prosody_mod_smacks__tx_queued_stanzas_total"
        static let liveRooms = "prosody_mod_muc__live_room"
        static let received = "prosody_mod_measure_stanza_counts__received_total"
        static let sent = "prosody_mod_measure_stanza_counts__sent_total"
        static let rooms = "parley_muc_rooms"
        static let occupants = "parley_muc_occupants"
        static let focusOnline = "parley_focus_online"
        static let bridges = "parley_brewery_bridges"
        static let shardState = "parley_shard_state"
        static let joinSeconds = "parley_muc_join_seconds"
        static let streamErrors = "parley_stream_input_errors_total"
        static let connectionErrors = "parley_connection_errors_total"
        static let tlsErrors = "parley_tls_errors_total"
    }

    static let parserErrorLabels: [(XMLStreamError.Kind, String)] = [
        (.notWellFormed, "not_well_formed"), (.restrictedXML, "restricted_xml"),
        (.stanzaTooLarge, "stanza_too_large"), (.tooDeep, "too_deep"),
    ]

    // MARK: - Recording

    /// A client's input refused by the stream parser (RFC 6120 §4.9.3: the stream ends with the matching error).
    func parserError(_ kind: XMLStreamError.Kind) {
        self.parserErrors[kind]?.increment()
    }

    /// A connection that failed under the stream: a reset, a timeout, a TLS failure.
    func connectionError(_ kind: ConnectionErrorKind) {
        switch kind {
        case .tls(let reason):
            CoreMetrics.Counter(label: Name.tlsErrors, dimensions: [("kind", reason)], factory: self.factory)
                .increment()
        case .reset, .brokenPipe, .timeout, .other:
            CoreMetrics.Counter(label: Name.connectionErrors, dimensions: [("kind", kind.label)], factory: self.factory)
                .increment()
        }
    }

    func joined(afterNanoseconds nanoseconds: Int64) {
        self.joinLatency.recordNanoseconds(max(0, nanoseconds))
    }

    // MARK: - Scraping

    /// A gauge's value at scrape time.
    struct GaugeValue: Sendable {
        var name: String
        var labels: [(String, String)]
        var value: Double
    }

    /// Publishes the loops' totals and the gauges, then renders every metric in Prometheus' text format
    /// (version 0.0.4). Scrapes are serialized, so the counters' growth is published once.
    func render(loops total: LoopSnapshot, gauges: [GaugeValue]) -> [UInt8] {
        self.published.withLock { published in
            for type in StanzaCounts.SessionType.allCases {
                for kind in Stanza.Kind.allKinds {
                    let received =
                        total.received.count(sessionType: type, kind: kind)
                        &- published.total.received.count(sessionType: type, kind: kind)
                    let sent =
                        total.sent.count(sessionType: type, kind: kind)
                        &- published.total.sent.count(sessionType: type, kind: kind)
                    self.stanzaCounter(Name.received, type, kind).increment(by: max(0, received))
                    self.stanzaCounter(Name.sent, type, kind).increment(by: max(0, sent))
                }
            }
            CoreMetrics.Counter(label: Name.smacksQueued, factory: self.factory)
                .increment(by: max(0, total.smacksQueued &- published.total.smacksQueued))
            // Prosody reports both address families of every host and type, so queries by family stay smooth.
            var connections = total.connections
            for labels in Set(connections.keys).union(published.connectionLabels) {
                var other = labels
                other.ipv6.toggle()
                connections[labels] = connections[labels] ?? 0
                connections[other] = connections[other] ?? 0
            }
            for (labels, count) in connections {
                CoreMetrics.Meter(
                    label: Name.c2sConnections,
                    dimensions: [
                        ("host", labels.host), ("type", labels.type.rawValue),
                        ("ip_family", labels.ipv6 ? "ipv6" : "ipv4"),
                    ],
                    factory: self.factory
                ).set(count)
            }
            published.connectionLabels = Set(connections.keys)
            published.total = total
            for gauge in gauges {
                CoreMetrics.Meter(label: gauge.name, dimensions: gauge.labels, factory: self.factory).set(gauge.value)
            }
            return self.registry.emitToBuffer()
        }
    }

    private func stanzaCounter(
        _ name: String,
        _ type: StanzaCounts.SessionType,
        _ kind: Stanza.Kind
    ) -> CoreMetrics.Counter {
        CoreMetrics.Counter(
            label: name,
            dimensions: [("session_type", type.rawValue), ("stanza_kind", kind.rawValue)],
            factory: self.factory
        )
    }
}
