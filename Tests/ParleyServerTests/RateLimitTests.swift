import ParleyCore
import Testing

@testable import ParleyServer

/// Jitsi's `mod_rate_limit` bookkeeping, the client's address behind proxies, and the configuration.
@Suite struct RateLimitTests {
    static var settings: RateLimitSettings {
        var settings = RateLimitSettings()
        settings.loginRate = 2
        settings.timeoutSeconds = 60
        settings.cacheSize = 3
        settings.allow = [IPNetwork("10.0.0.0/8")].compactMap { $0 }
        return settings
    }

    /// Whether a session starting from `address` at `millis` is slowed.
    private func starts(_ table: inout LoginRateTable, _ address: String, at millis: Int64) -> Bool {
        table.sessionStarted(from: address, nowMillis: millis)
    }

    @Test func loginsOverTheRateLimitTheAddressForTheTimeout() {
        var table = LoginRateTable(settings: Self.settings)
        #expect(!self.starts(&table, "203.0.113.7", at: 0))
        #expect(!self.starts(&table, "203.0.113.7", at: 0))
        #expect(self.starts(&table, "203.0.113.7", at: 0))
        // Another address is not affected.
        #expect(!self.starts(&table, "198.51.100.1", at: 0))
        // Within 5 s of the excess the limit is refreshed; later, it holds until the timeout.
        #expect(self.starts(&table, "203.0.113.7", at: 4000))
        #expect(self.starts(&table, "203.0.113.7", at: 30_000))
        #expect(table.limitedCount(nowMillis: 30_000) == 1)
        #expect(!self.starts(&table, "203.0.113.7", at: 70_000))
        #expect(table.limitedCount(nowMillis: 70_000) == 0)
    }

    @Test func theOldestAddressesAreForgotten() {
        var table = LoginRateTable(settings: Self.settings)
        for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"] {
            _ = table.sessionStarted(from: address, nowMillis: 0)
        }
        #expect(table.count <= 3)
        // The first address starts afresh: its earlier logins are forgotten.
        #expect(!self.starts(&table, "192.0.2.1", at: 0))
        #expect(!self.starts(&table, "192.0.2.1", at: 0))
    }

    @Test func loopbackAndAllowedRangesAreExempt() {
        let settings = Self.settings
        #expect(settings.isExempt("127.0.0.1") && settings.isExempt("::1") && settings.isExempt("10.9.8.7"))
        #expect(!settings.isExempt("127.0.0.2") && !settings.isExempt("203.0.113.7"))
        let limiter = RateLimiter(settings: settings)
        for _ in 0..<10 { #expect(!limiter.sessionStarted(from: "10.1.1.1")) }
    }

    @Test func stanzaRatesByKind() {
        var settings = RateLimitSettings()
        settings.messageRate = 3
        var rates = SessionStanzaRates(settings: settings)
        var exceeded = 0
        for _ in 0..<5 where rates.exceeded(by: .message, nowMillis: 0) { exceeded += 1 }
        #expect(exceeded == 2)
        let presence = rates.exceeded(by: .presence, nowMillis: 0)
        #expect(!presence)
    }

    @Test func theClientAddressBehindTrustedProxies() {
        let trusted = [IPNetwork("127.0.0.1"), IPNetwork("10.0.0.0/8")].compactMap { $0 }
        #expect(
            ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["203.0.113.7"], trusted: trusted) == "203.0.113.7"
        )
        // The last hop that is not a proxy of ours; a proxy chain is walked back.
        #expect(
            ClientAddress.resolve(
                peer: "127.0.0.1",
                forwardedFor: ["198.51.100.1, 203.0.113.7, 10.0.0.2"],
                trusted: trusted
            )
                == "203.0.113.7"
        )
        #expect(
            ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["1.1.1.1", "203.0.113.9"], trusted: trusted)
                == "203.0.113.9"
        )
        // A peer that is not a trusted proxy is the client, whatever it claims.
        #expect(ClientAddress.resolve(peer: "127.0.0.2", forwardedFor: ["10.1.2.3"], trusted: trusted) == "127.0.0.2")
        // No header, or a header that is not an address: the peer.
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: [], trusted: trusted) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: "127.0.0.1", forwardedFor: ["unknown"], trusted: trusted) == "127.0.0.1")
        #expect(ClientAddress.resolve(peer: nil, forwardedFor: ["203.0.113.7"], trusted: trusted) == nil)
    }

    @Test func prosodysRates() {
        #expect(ProsodyByteRate.bytesPerSecond("10kb/s") == 10000)
        #expect(ProsodyByteRate.bytesPerSecond("500 b/s") == 500)
        #expect(ProsodyByteRate.bytesPerSecond("2MB/s") == 2_000_000)
        #expect(ProsodyByteRate.bytesPerSecond("1 gb/s") == 1_000_000_000)
        for bad in ["10kb", "fast/s", "0kb/s", "-1kb/s", "10tb/s", "99999999999kb/s", "5gb/s", "10k b/s"] {
            #expect(ProsodyByteRate.bytesPerSecond(bad) == nil, "\(bad)")
        }
    }

    @Test func theSectionAndDockersVariables() throws {
        let file = try ConfigurationLoader.load(
            yaml: """
                c2s:
                  rate_limit: 10240
                http:
                  trusted_proxies: [127.0.0.1, 172.16.0.0/12]
                rate_limits:
                  login_rate: 5
                  allow: [192.168.0.0/16]
                muc:
                  - { domain: muc.meet.jitsi, focus_lock: true, join_rate: 3 }

                """,
            path: "limits.yaml",
            environment: [:]
        )
        #expect(file.c2s.rateLimit == 10240 && file.rateLimits?.loginRate == 5 && file.muc.first?.joinRate == 3)
        #expect(file.http.trustedProxies.map(\.description) == ["127.0.0.1/32", "172.16.0.0/12"])
        let running = XMPPServer.Configuration(file)
        #expect(running.readRate == 10240 && running.rateLimits?.loginRate == 5)
        #expect(running.mucServices.first?.joinRate == 3)
        #expect(
            ServerConfiguration.jitsiPreset.rateLimits == nil && ServerConfiguration.jitsiPreset.c2s.rateLimit == nil
        )

        let (docker, notes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["PROSODY_ENABLE_RATE_LIMITS": "1", "PROSODY_RATE_LIMIT_ALLOW_RANGES": "10.0.0.0/8,bogus"]
        )
        #expect(docker.rateLimits?.loginRate == 3 && docker.rateLimits?.sessionRate == 200)
        #expect(docker.rateLimits?.allow.map(\.description) == ["10.0.0.0/8"])
        #expect(notes.contains { $0.contains("bogus") })
        #expect(docker.muc.first { $0.focusLock }?.joinRate == 3)
        #expect(docker.c2s.rateLimit == 10000)
        let (unlimited, _) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["XMPP_DOMAIN": "meet.jitsi", "PROSODY_DISABLE_C2S_LIMIT": "1"]
        )
        #expect(unlimited.c2s.rateLimit == nil && unlimited.rateLimits == nil)
    }
}
