import Foundation
import ParleyCore
import Testing

@testable import ParleyServer

/// `parley import prosody`: the Debian and docker layouts (Tests/Fixtures/prosody), the YAML the real
/// `ConfigurationLoader` accepts, and the accounts. The Lua layer itself: ProsodyLuaTests.
@Suite("Prosody import")
struct ProsodyImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/prosody")

    static func convert(_ layout: String) throws -> (ProsodyConverter.Result, ServerConfiguration) {
        let prosody = try ProsodyConfiguration.read(path: fixtures.appendingPathComponent(layout).path)
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let outcome = ConfigurationLoader.parse(yaml: result.yaml, path: "parley.yaml", environment: [:])
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        return (result, try #require(outcome.configuration))
    }

    // MARK: - Layouts

    @Test("Debian's layout: the main file and the conf.d link it Includes become one YAML the loader accepts")
    func debianLayout() throws {
        let (result, configuration) = try Self.convert("debian/prosody.cfg.lua")
        #expect(configuration.hosts.map(\.domain) == ["localhost", "meet.example.org", "auth.meet.example.org"])
        #expect(configuration.hosts.map(\.authentication) == [.internalHashed, .anonymous, .internalHashed])
        #expect(configuration.hosts[2].saslMechanisms == [.scramSHA1, .plain])
        #expect(configuration.hosts[1].requireEncryption == false)
        #expect(result.accountHosts == ["localhost", "auth.meet.example.org"])
        #expect(configuration.muc.map(\.domain) == ["conference.meet.example.org", "internal.auth.meet.example.org"])
        let conference = configuration.muc[0]
        #expect(conference.restrictRoomCreation && !conference.roomLocking && conference.focusLock)
        #expect(conference.publicJIDs && conference.historyLength == 20)
        #expect(conference.passwordExempt.map(\.description) == ["focus@auth.meet.example.org"])
        #expect(configuration.muc[1].admins.count == 2 && !configuration.muc[1].restrictRoomCreation)
        #expect(configuration.focusProxy?.domain == "focus.meet.example.org")
        #expect(configuration.focusProxy?.target.description == "focus@auth.meet.example.org")
        #expect(configuration.lobby?.component.domain == "lobby.meet.example.org")
        #expect(configuration.speakerStats?.muc == "conference.meet.example.org")
        #expect(configuration.polls?.domain == "polls.meet.example.org")
        #expect(configuration.breakoutRooms?.domain == "breakout.meet.example.org")
        #expect(configuration.breakoutRooms?.muc == "conference.meet.example.org")
        #expect(configuration.tenants?.base == "meet.example.org")
        #expect(configuration.tenants?.muc == "conference.meet.example.org")
        #expect(configuration.externalServices.services.map(\.kind) == [.stun, .turn, .turns])
        #expect(configuration.externalServices.secret == "turn-shared-secret-123")
        #expect(configuration.listen.c2sPort == 5222 && configuration.listen.httpPort == 5280)
        #expect(configuration.listen.c2sTLSPort == 0 && configuration.listen.httpsPort == 0)
        #expect(configuration.c2s.advertiseVersion && configuration.c2s.smHibernation == 60)
        #expect(configuration.tls.certificate == "/etc/prosody/certs/meet.example.org.crt")
        #expect(configuration.admins.isEmpty && configuration.accounts.isEmpty)
        #expect(result.listeners.map(\.port) == [5222, 5280])
        #expect(configuration.operations.brewery?.description == "jvbbrewery@internal.auth.meet.example.org")

        let notes = result.notes.map(\.description)
        let main = Self.fixtures.appendingPathComponent("debian/prosody.cfg.lua").path
        let site = Self.fixtures.appendingPathComponent("debian/conf.d/meet.example.org.cfg.lua").path
        #expect(notes.contains("\(main):33: ignored: posix: Parley runs in the foreground (systemd, docker)"))
        #expect(notes.contains { $0.hasPrefix("\(main):40: ignored: pidfile:") })
        #expect(configuration.c2s.rateLimit == 10_000)  // "10kb/s" in Prosody's decimal units
        #expect(notes.contains { $0.hasPrefix("\(main):48: ignored: limits.s2sin: no s2s") })
        #expect(configuration.rateLimits == nil)
        #expect(!notes.contains { $0.contains("muc_rate_limit") })
        #expect(configuration.muc[0].joinRate == 3 && configuration.muc[1].joinRate == nil)
        #expect(notes.contains { $0.hasPrefix("\(site):135: mapped: breakout.meet.example.org: breakout rooms take") })
        // Mapped options are not reported as left out.
        #expect(!notes.contains { $0.contains(": speakerstats_component:") || $0.contains(": main_muc:") })
    }

    @Test("docker-jitsi-meet's layout with auth, guests and TURN over TCP")
    func dockerLayout() throws {
        let (result, configuration) = try Self.convert("docker/prosody.cfg.lua")
        #expect(configuration.hosts.map(\.domain) == ["meet.jitsi", "guest.meet.jitsi", "auth.meet.jitsi"])
        #expect(result.accountHosts == ["meet.jitsi", "auth.meet.jitsi"])
        #expect(result.dataPath == "/config/data")
        #expect(
            configuration.muc.first { $0.domain == "internal-muc.meet.jitsi" }?.allowedDomains == ["auth.meet.jitsi"]
        )
        #expect(configuration.muc.first { $0.domain == "muc.meet.jitsi" }?.focusLock == true)
        #expect(configuration.admins.map(\.description) == ["focus@auth.meet.jitsi", "jvb@auth.meet.jitsi"])
        #expect(configuration.c2s.unlimitedJIDs.count == 2)
        #expect(configuration.lobby?.whitelist.map(\.description) == ["hidden.meet.jitsi"])
        #expect(configuration.externalServices.services.count == 1)
        #expect(configuration.externalServices.services.first?.transport == .tcp)
        #expect(!configuration.c2s.advertiseVersion)
        #expect(configuration.tenants?.muc == "muc.meet.jitsi" && configuration.breakoutRooms?.muc == "muc.meet.jitsi")
        #expect(!result.notes.contains { $0.subject == "muc_breakout_rooms" || $0.subject == "muc_mapper_domain_base" })
        let main = Self.fixtures.appendingPathComponent("docker/prosody.cfg.lua").path
        let notes = result.notes.map(\.description)
        #expect(notes.contains { $0.hasPrefix("\(main):10: ignored: gc: Lua's garbage collector") })
        #expect(notes.contains { $0.hasPrefix("\(main):17: ignored: network_settings:") })
        #expect(!notes.contains { $0.contains(": authentication:") })
        #expect(configuration.operations.brewery?.description == "jvbbrewery@internal-muc.meet.jitsi")
        #expect(configuration.http.trustedProxies.map(\.description) == ["127.0.0.1/32", "::1/128"])
        #expect(configuration.c2s.rateLimit == 10_000)
        #expect(configuration.operations.metricsAllow.map(\.description) == ["172.16.0.0/12"])
        #expect(!notes.contains { $0.contains("openmetrics") })
        #expect(notes.contains { $0.contains("ignored: statistics: Parley's metrics are always collected") })
        let findings = PrivacyCheck.check(yaml: result.yaml, path: "parley.yaml").map(\.keyPath)
        #expect(findings.contains("operations.openmetrics_allow_cidr"))
    }

    @Test("what Jitsi's defaults expose is listed by check --privacy on the converted Debian config")
    func privacyOfConvertedConfig() throws {
        let (result, _) = try Self.convert("debian/prosody.cfg.lua")
        let findings = PrivacyCheck.check(yaml: result.yaml, path: "parley.yaml")
        let keys = findings.map(\.keyPath)
        #expect(
            keys == [
                "listen.address", "c2s.advertise_version", "hosts[1].require_encryption", "muc[0].history_length",
                "muc[1].history_length",
            ]
        )
        let history = try #require(findings.first { $0.keyPath == "muc[0].history_length" })
        #expect(history.message.contains("recommended: 0"))
        #expect(history.message.contains("the file says: Prosody's default"))
        let line = try #require(history.line)
        #expect(
            result.yaml.split(separator: "\n", omittingEmptySubsequences: false)[line - 1].contains(
                "history_length: 20"
            )
        )
    }

    @Test("Prosody's mod_turn_external becomes a STUN and TURN service with the shared secret")
    func turnExternal() throws {
        let text = """
            modules_enabled = { "turn_external" }
            turn_external_host = "turn.example.org"
            turn_external_secret = "s3cret"
            turn_external_tcp = true
            VirtualHost "meet.example.org"
                authentication = "anonymous"
            """
        let prosody = try ProsodyConfiguration.parse(text, file: "p.cfg.lua", includeBase: "/nonexistent")
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let configuration = try ConfigurationLoader.load(yaml: result.yaml, path: "parley.yaml", environment: [:])
        let services = configuration.externalServices.services
        #expect(services.map(\.kind) == [.stun, .turn, .turn])
        #expect(services.map(\.transport) == [nil, .udp, .tcp])
        #expect(services.allSatisfy { $0.host == "turn.example.org" && $0.port == 3478 })
        #expect(configuration.externalServices.secret == "s3cret")
        #expect(!result.notes.contains { $0.subject.hasPrefix("turn_external") })
    }

    @Test("Jitsi's mod_rate_limit becomes rate_limits; an unreadable byte rate is reported")
    func rateLimits() throws {
        let text = """
            modules_enabled = { "limits" }
            limits = { c2s = { rate = "fast" } }
            VirtualHost "meet.example.org"
                authentication = "anonymous"
                modules_enabled = { "rate_limit" }
                rate_limit_login_rate = 5
                rate_limit_session_rate = 300
                rate_limit_whitelist = { "127.0.0.1", "10.0.0.0/8" }
                rate_limit_whitelist_jids = { "focus@auth.meet.example.org" }
                rate_limit_whitelist_hosts = { "auth.meet.example.org" }
            """
        let prosody = try ProsodyConfiguration.parse(text, file: "p.cfg.lua", includeBase: "/nonexistent")
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let configuration = try ConfigurationLoader.load(yaml: result.yaml, path: "parley.yaml", environment: [:])
        let limits = try #require(configuration.rateLimits)
        #expect(limits.loginRate == 5 && limits.sessionRate == 300)
        #expect(limits.allow.map(\.description) == ["10.0.0.0/8"])
        #expect(limits.unlimitedJIDs.map(\.description) == ["focus@auth.meet.example.org"])
        #expect(configuration.c2s.rateLimit == nil)
        let notes = result.notes.map(\.description)
        #expect(
            notes.contains(
                "p.cfg.lua:2: not supported: limits.c2s.rate: 'fast' is not a rate Parley reads (like 10kb/s)"
            )
        )
        #expect(notes.contains { $0.hasPrefix("p.cfg.lua:10: not supported: rate_limit_whitelist_hosts:") })
    }

    @Test("a token host keeps its app, secret (quoted when it must be), audiences and domain verification")
    func tokenHost() throws {
        let text = """
            VirtualHost "meet.example.org"
                authentication = "token"
                app_id = "my_app"
                app_secret = "s3cr3t: with # hash"
                asap_accepted_audiences = { "jitsi" }
                enable_domain_verification = true
                disable_sasl_mechanisms = { "PLAIN" }
            VirtualHost "auth.example.org"
                disable_sasl_mechanisms = { "PLAIN", "DIGEST-MD5" }
            """
        let prosody = try ProsodyConfiguration.parse(text, file: "p.cfg.lua", includeBase: "/nonexistent")
        let result = ProsodyConverter.convert(prosody, dataDirectory: "data")
        let configuration = try ConfigurationLoader.load(yaml: result.yaml, path: "parley.yaml", environment: [:])
        let token = try #require(configuration.hosts[0].token)
        #expect(configuration.hosts[0].authentication == .token)
        #expect(token.appID == "my_app" && token.appSecret == "s3cr3t: with # hash")
        #expect(token.acceptedAudiences == ["jitsi"] && token.verifySubject)
        #expect(configuration.hosts[1].saslMechanisms == [.scramSHA1])
        #expect(result.accountHosts == ["auth.example.org"])
        #expect(result.notes.contains { $0.kind == .ignored && $0.subject == "disable_sasl_mechanisms" })
    }

    // MARK: - Accounts

    @Test("datamanager's encoding of host and user names")
    func nameEncoding() {
        #expect(ProsodyAccountImporter.encode("auth.meet.jitsi") == "auth%2emeet%2ejitsi")
        #expect(ProsodyAccountImporter.decode("auth%2emeet%2ejitsi") == "auth.meet.jitsi")
        #expect(ProsodyAccountImporter.decode("jvb%2d1") == "jvb-1")
        #expect(ProsodyAccountImporter.decode("bad%2") == nil)
        #expect(ProsodyAccountImporter.decode("bad%zz") == nil)
    }

    @Test("an account file's SCRAM-SHA-1 keys log in with the password they were made from; nothing else does")
    func accountImport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prosody-data-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let accounts = folder.appendingPathComponent("auth%2emeet%2ejitsi/accounts")
        try FileManager.default.createDirectory(at: accounts, withIntermediateDirectories: true)
        let salt = "8f6b2bd3-7d1e-4c39-9b1f-0d5f3c1f4a11"
        let made = SCRAMCredentials.derive(
            password: "old secret",
            algorithm: .sha1,
            salt: Array(salt.utf8),
            iterations: 10000
        )
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        let file = """
            return {
            \t["salt"] = "\(salt)";
            \t["stored_key"] = "\(hex(made.storedKey))";
            \t["iteration_count"] = 10000;
            \t["server_key"] = "\(hex(made.serverKey))";
            };
            """
        try file.write(to: accounts.appendingPathComponent("focus.dat"), atomically: true, encoding: .utf8)
        try "return { [\"password\"] = \"plain\" };".write(
            to: accounts.appendingPathComponent("old.dat"),
            atomically: true,
            encoding: .utf8
        )
        let other = folder.appendingPathComponent("meet%2ejitsi/accounts")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try file.write(to: other.appendingPathComponent("someone.dat"), atomically: true, encoding: .utf8)

        let sqlite = folder.appendingPathComponent("parley")
        let store = try SQLiteAccountStore(dataDirectory: sqlite.path)
        try store.setPassword("newer", username: "focus", host: "auth.meet.jitsi")  // replaced by the import
        let outcome = ProsodyAccountImporter(dataPath: folder.path).importAccounts(
            hosts: ["auth.meet.jitsi"],
            into: store
        )
        #expect(outcome.imported.map(\.description) == ["focus@auth.meet.jitsi"])
        #expect(outcome.notes.contains { $0.text.contains("internal_plain") && $0.subject == "old@auth.meet.jitsi" })
        #expect(outcome.notes.contains { $0.subject == "meet.jitsi" && $0.text.contains("not imported") })
        let sha1 = try #require(try store.credentials(username: "focus", host: "auth.meet.jitsi", algorithm: .sha1))
        #expect(sha1 == made)
        #expect(sha1.verify(password: "old secret") && !sha1.verify(password: "newer"))
        // The SHA-256 keys of the earlier password are gone: that mechanism refuses the account.
        #expect(try store.credentials(username: "focus", host: "auth.meet.jitsi", algorithm: .sha256) == nil)
        // A SCRAM-SHA-1 exchange with the old password succeeds against the stored keys (RFC 5802 §5).
        let lookup = HostCredentialLookup(store: store, host: "auth.meet.jitsi")
        #expect(SCRAMExchange.run(password: "old secret", lookup: lookup))
        #expect(!SCRAMExchange.run(password: "wrong", lookup: lookup))
        #expect(
            SASLPlain.authenticate(Array("\0focus\0old secret".utf8), lookup: lookup)
                == .success(username: "focus", additionalData: [])
        )
    }

    @Test("imported credentials are checked: key length, salt, iterations")
    func invalidCredentials() {
        let store = MemoryAccountStore()
        let good = SCRAMCredentials.derive(password: "p", algorithm: .sha1, iterations: 4096)
        var short = good
        short.storedKey = Array(good.storedKey.prefix(10))
        var many = good
        many.iterations = SCRAMCredentials.maximumIterations + 1
        for bad in [[short], [many], [good, good], []] {
            #expect(throws: AccountStoreError.self) { try store.setCredentials(bad, username: "a", host: "h.example") }
        }
        #expect(throws: Never.self) { try store.setCredentials([good], username: "a", host: "h.example") }
    }
}

/// A SCRAM client (RFC 5802 §3) run against `SCRAMServer` with a store's credentials.
enum SCRAMExchange {
    static func run(password: String, lookup: some SASLCredentialLookup) -> Bool {
        var server = SCRAMServer(algorithm: .sha1)
        let clientNonce = "rOprNGfwEbeRWgbNEkqO"
        let clientFirstBare = "n=focus,r=\(clientNonce)"
        guard case .challenge(let challenge) = server.receive(Array("n,,\(clientFirstBare)".utf8), lookup: lookup),
            let serverFirst = String(validating: challenge, as: UTF8.self)
        else { return false }
        let attributes = Dictionary(
            serverFirst.split(separator: ",").map { (String($0.prefix(1)), String($0.dropFirst(2))) },
            uniquingKeysWith: { first, _ in first }
        )
        guard let nonce = attributes["r"], let saltText = attributes["s"], let salt = Base64.decode(saltText),
            let iterations = attributes["i"].flatMap({ Int($0) })
        else { return false }
        let salted = SCRAMCredentials.saltedPassword(password, algorithm: .sha1, salt: salt, iterations: iterations)
        let clientKey = HashAlgorithm.sha1.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = HashAlgorithm.sha1.hash(clientKey)
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let signature = HashAlgorithm.sha1.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        let final = "\(withoutProof),p=\(Base64.encode(proof))"
        guard case .success = server.receive(Array(final.utf8)) else { return false }
        return true
    }
}
