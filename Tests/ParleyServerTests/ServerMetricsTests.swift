import NIOCore
import NIOPosix
import ParleyCore
import ParleyXML
import Testing

@testable import ParleyServer

/// The pure parts of `/metrics`: counting per loop, adding loops up, publishing growth, naming error kinds.
@Suite struct ServerMetricsTests {
    private func element(_ name: String, _ namespace: String = Namespace.client) -> XMLElement {
        XMLElement(name: name, namespace: namespace)
    }

    @Test func stanzasAreCountedByTypeAndKindAndOthersAreNot() {
        var counts = StanzaCounts()
        counts.add(self.element("message"), bound: true)
        counts.add(self.element("presence"), bound: true)
        counts.add(self.element("presence"), bound: true)
        counts.add(self.element("iq"), bound: false)
        counts.add(self.element("r", Namespace.streamManagement), bound: true)
        counts.add(self.element("auth", "urn:ietf:params:xml:ns:xmpp-sasl"), bound: false)
        counts.add(.iq, bound: true)
        #expect(counts.count(sessionType: .c2s, kind: .message) == 1)
        #expect(counts.count(sessionType: .c2s, kind: .presence) == 2)
        #expect(counts.count(sessionType: .c2s, kind: .iq) == 1)
        #expect(counts.count(sessionType: .c2sUnauthed, kind: .iq) == 1)
        #expect(counts.count(sessionType: .c2sUnauthed, kind: .message) == 0)
        let doubled = counts + counts
        #expect(doubled.count(sessionType: .c2s, kind: .presence) == 4)
    }

    @Test func loopsAreAddedUpOnTheirOwnLoops() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let table = LoopCounterTable()
        let loops = Array(group.makeIterator())
        for (index, loop) in loops.enumerated() {
            try loop.submit {
                let counters = table.counters(for: loop)
                for _ in 0...index { counters.received.add(.message, bound: true) }
                counters.smacksQueued += 10
            }.wait()
        }
        let total = try table.total(on: loops[0]).wait()
        #expect(total.received.count(sessionType: .c2s, kind: .message) == 3)
        #expect(total.smacksQueued == 20)
    }

    @Test func renderPublishesGrowthAndConnectionsOfBothFamilies() throws {
        let metrics = ServerMetrics()
        var total = LoopSnapshot()
        total.received.add(.presence, bound: true)
        total.received.add(.presence, bound: true)
        total.connections[ConnectionLabels(host: "meet.jitsi", type: .c2s, ipv6: false)] = 3
        var text = String(decoding: metrics.render(loops: total, gauges: []), as: UTF8.self)
        #expect(
            text.contains(
                #"prosody_mod_measure_stanza_counts__received_total{session_type="c2s",stanza_kind="presence"} 2"#
            )
        )
        #expect(text.contains(#"prosody_mod_c2s__connections{host="meet.jitsi",type="c2s",ip_family="ipv4"} 3"#))
        #expect(text.contains(#"prosody_mod_c2s__connections{host="meet.jitsi",type="c2s",ip_family="ipv6"} 0"#))
        // The same totals again publish nothing more; connections that are gone read 0.
        total.connections = [:]
        total.received.add(.presence, bound: true)
        text = String(decoding: metrics.render(loops: total, gauges: []), as: UTF8.self)
        #expect(
            text.contains(
                #"prosody_mod_measure_stanza_counts__received_total{session_type="c2s",stanza_kind="presence"} 3"#
            )
        )
        #expect(text.contains(#"prosody_mod_c2s__connections{host="meet.jitsi",type="c2s",ip_family="ipv4"} 0"#))
    }

    @Test func gaugesAndErrorsAreRendered() {
        let metrics = ServerMetrics()
        metrics.parserError(.notWellFormed)
        metrics.connectionError(.reset)
        metrics.connectionError(.tls("wrong_version_number"))
        metrics.joined(afterNanoseconds: 3_000_000)
        let text = String(
            decoding: metrics.render(
                loops: LoopSnapshot(),
                gauges: [.init(name: "prosody_mod_muc__live_room", labels: [("host", "muc.meet.jitsi")], value: 4)]
            ),
            as: UTF8.self
        )
        #expect(text.contains(#"prosody_mod_muc__live_room{host="muc.meet.jitsi"} 4"#))
        #expect(text.contains(#"parley_stream_input_errors_total{kind="not_well_formed"} 1"#))
        #expect(text.contains(#"parley_connection_errors_total{kind="reset"} 1"#))
        #expect(text.contains(#"parley_connection_errors_total{kind="timeout"} 0"#))
        #expect(text.contains(#"parley_tls_errors_total{kind="wrong_version_number"} 1"#))
        #expect(text.contains(#"parley_muc_join_seconds_bucket{le="0.005"} 1"#))
        #expect(text.contains(#"parley_muc_join_seconds_bucket{le="0.002"} 0"#))
    }

    @Test(arguments: [
        ("error:0A00010B:SSL routines::wrong version number", "wrong_version_number"),
        ("error:0A000126:SSL routines::unexpected eof while reading", "unexpected_eof_while_reading"),
        ("error:0A000076:SSL routines::no suitable signature algorithm (extra)", "no_suitable_signature_algorithm"),
        ("", "unknown"), ("!!!", "unknown"),
    ])
    func tlsReasonsBecomeLabels(reason: String, label: String) {
        #expect(ConnectionErrorKind.label(forReason: reason) == label)
    }

    @Test func clientsGoingAwayAreTold() {
        #expect(ConnectionErrorKind(IOError(errnoCode: ECONNRESET, reason: "read")) == .reset)
        #expect(ConnectionErrorKind(IOError(errnoCode: EPIPE, reason: "write")) == .brokenPipe)
        #expect(ConnectionErrorKind(IOError(errnoCode: ETIMEDOUT, reason: "read")) == .timeout)
        #expect(ConnectionErrorKind(IOError(errnoCode: EMFILE, reason: "accept")) == .other)
        #expect(ConnectionErrorKind(IOError(errnoCode: ECONNRESET, reason: "read")).isClientGoingAway)
        #expect(!ConnectionErrorKind(ChannelError.ioOnClosedChannel).isClientGoingAway)
    }

    @Test func readinessSaysWhatIsMissing() {
        let none = OperatorEndpoints.Readiness(focusOnline: false, bridges: 0)
        #expect(none.missing == ["focus", "bridge"])
        #expect(
            JSONValue.text(none.json)
                == #"{"bridges":0,"focus":false,"missing":["focus","bridge"],"ready":false,"status":"ready"}"#
        )
        #expect(OperatorEndpoints.Readiness(focusOnline: true, bridges: 2).missing.isEmpty)
        // Without a focus proxy or a brewery, that check is not made.
        #expect(OperatorEndpoints.Readiness(focusOnline: nil, bridges: nil).missing.isEmpty)
    }

    @Test func shardIdentity() {
        var settings = ServerConfiguration.Operations()
        #expect(ShardIdentity(settings).headers.isEmpty && ShardIdentity(settings).discoIdentities.isEmpty)
        settings.shard = "shard-1"
        settings.release = "77"
        let identity = ShardIdentity(settings)
        #expect(
            identity.discoIdentities.map { "\($0.category)/\($0.type)=\($0.name ?? "")" } == [
                "server/shard=shard-1", "server/release=77",
            ]
        )
        #expect(identity.headers["X-Jitsi-Shard"] == ["shard-1"] && identity.headers["X-Jitsi-Region"].isEmpty)
        #expect(identity.headers["Access-Control-Expose-Headers"] == ["Content-Type, X-Jitsi-Shard, X-Jitsi-Release"])
    }
}

/// Drain: the shard's state, its words and what the HAProxy agent says.
@Suite struct ShardStatusTests {
    @Test(arguments: [("ready", ShardState.ready), (" Drain\n", .drain), ("MAINT", .maint)])
    func words(text: String, state: ShardState) {
        #expect(ShardState(text: text) == state)
    }

    @Test(arguments: ["", "up", "drained", "ready drain"])
    func otherWordsAreNotStates(text: String) {
        #expect(ShardState(text: text) == nil)
    }

    @Test func settingReturnsThePreviousState() {
        let status = ShardStatus()
        #expect(status.state == .ready)
        #expect(status.set(.drain) == .ready && status.state == .drain)
        #expect(status.set(.maint) == .drain && status.state == .maint)
    }

    @Test func agentLines() {
        #expect(HAProxyAgent.line(state: .ready, ready: true) == "up ready 100%\n")
        #expect(HAProxyAgent.line(state: .ready, ready: false) == "up drain 0%\n")
        #expect(HAProxyAgent.line(state: .drain, ready: true) == "up drain 0%\n")
        #expect(HAProxyAgent.line(state: .maint, ready: true) == "maint\n")
    }

    @Test func drainKeysAreRead() throws {
        let yaml = """
            operations:
              status_file: /etc/jitsi/shard-status
              agent_port: 6060
              drain_refuses_new_conferences: true
            """
        let outcome = ConfigurationLoader.parse(yaml: yaml, path: "t.yaml", environment: [:])
        let operations = try #require(outcome.configuration?.operations)
        #expect(operations.statusFile == "/etc/jitsi/shard-status" && operations.agentPort == 6060)
        #expect(operations.drainRefusesNewConferences)
        #expect(XMPPServer.Configuration(try #require(outcome.configuration)).agentPort == 6060)
        #expect(XMPPServer.Configuration(.jitsiPreset).agentPort == nil)
    }
}
