import Foundation
import ParleyCore
import Testing

@testable import ParleyServer

/// A host's `token` section, what `parley check` says about it, docker's JWT_* variables, and the keys the running
/// server gets.
@Suite("Configuration: token")
struct TokenConfigurationTests {
    static let accounts = ["JICOFO_AUTH_PASSWORD": "f", "JVB_AUTH_PASSWORD": "j"]

    private func summary(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        ConfigurationLoader.check(
            yaml: yaml,
            path: "t.yaml",
            environment: environment.merging(Self.accounts) { a, _ in a }
        ).map {
            "\($0.line ?? 0):\($0.column ?? 0) \($0.severity.rawValue) \($0.keyPath)"
        }
    }

    static func hosts(_ token: String, authentication: String = "token") -> String {
        """
        hosts:
          - domain: meet.jitsi
            authentication: \(authentication)
        \(token.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
          - domain: auth.meet.jitsi
            authentication: internal_hashed
        """
    }

    @Test func aFullSection() throws {
        let yaml = Self.hosts(
            """
            token:
              app_id: my_app
              app_secret_env: JWT_APP_SECRET
              algorithm: HS512
              accepted_issuers: [my_app, other]
              accepted_audiences: [jitsi]
              require_room_claim: false
              verify_subject: true
              clock_skew: 5
            """
        )
        let environment = Self.accounts.merging(["JWT_APP_SECRET": "north"]) { a, _ in a }
        let outcome = ConfigurationLoader.parse(yaml: yaml, path: "t.yaml", environment: environment)
        #expect(outcome.issues.isEmpty)
        let host = try #require(outcome.configuration?.hosts.first)
        #expect(host.authentication == .token && host.saslMechanisms == [.anonymous])
        let token = try #require(host.token)
        #expect(token.appID == "my_app" && token.algorithm == .hs512 && token.appSecretEnvironment == "JWT_APP_SECRET")
        #expect(token.acceptedIssuers == ["my_app", "other"] && token.acceptedAudiences == ["jitsi"])
        #expect(!token.requireRoomClaim && token.verifySubject && !token.allowEmpty && token.clockSkew == 5)
        #expect(!token.description.contains("north"))

        var server = XMPPServer.Configuration(try #require(outcome.configuration))
        #expect(server.hosts.first?.authentication == .token)
        #expect(server.hosts.first?.token?.key == nil)  // not before the environment is read
        #expect(server.setTokenKeys(try #require(outcome.configuration), environment: environment).isEmpty)
        let verifier = try #require(server.hosts.first?.token)
        #expect(verifier.key == .secret(Array("north".utf8)))
        #expect(verifier.configuration.acceptedSubjects == ["meet.jitsi"])
        #expect(verifier.configuration.clockSkew == 5)
        #expect(
            server.setTokenKeys(try #require(outcome.configuration), environment: [:]) == [
                "meet.jitsi: the environment variable JWT_APP_SECRET (the token secret) is not set"
            ]
        )
    }

    @Test func defaults() throws {
        let outcome = ConfigurationLoader.parse(
            yaml: Self.hosts("token: { app_id: my_app, app_secret: north }"),
            path: "t.yaml",
            environment: Self.accounts
        )
        #expect(outcome.issues.map(\.message) == ["a secret written in the file is discouraged; prefer app_secret_env"])
        let token = try #require(outcome.configuration?.hosts.first?.token)
        #expect(token.algorithm == .hs256 && token.acceptedIssuers == nil && token.acceptedAudiences == ["*"])
        let verifier = token.verifierConfiguration(domain: "meet.jitsi")
        #expect(verifier.acceptedIssuers == ["my_app"] && verifier.acceptedSubjects == nil && verifier.requireRoomClaim)
        var server = XMPPServer.Configuration(try #require(outcome.configuration))
        // A literal secret works without the environment.
        #expect(server.hosts.first?.token?.key == .secret(Array("north".utf8)))
        #expect(server.setTokenKeys(try #require(outcome.configuration), environment: [:]).isEmpty)
    }

    @Test func anRSAPublicKeyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-token-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pem = """
            -----BEGIN PUBLIC KEY-----
            MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqUIKhlbTLvKV1MrpcJaC
            5u+p7NkuiBgkXjZtfNgdVUNHJBVMRzm89tayTuVj6b0BhewF+18iaPsx5CBRGaBX
            nhFbtD99lsbGxr8J+xM0xYV1dFEM6/le4LzkYdjQnk9x0A+bkuioZkQnrvwIotfQ
            AxXU3igMk/jgT0OVHyjp9WwT5PmtUOuR0u/OBEzRBhylYgps7uniKxMqb9xGN52u
            vT2/CnSnlayjMwzujj0Mp6oxP7liioiFmGWDJPTEsYHacneLpW7imqh3pKLQBrnY
            9yrdy7fM59kzqYKXdzoDyeiirkFhysp7Yw5Wgb5RkicnfiXBwuCgLnRuE9OVrbpa
            pwIDAQAB
            -----END PUBLIC KEY-----

            """
        try pem.write(to: directory.appendingPathComponent("jwt.pem"), atomically: true, encoding: .utf8)
        try "not a key".write(to: directory.appendingPathComponent("bad.pem"), atomically: true, encoding: .utf8)
        let file = directory.appendingPathComponent("parley.yaml")
        try Self.hosts("token: { app_id: my_app, algorithm: RS256, public_key: jwt.pem }")
            .write(to: file, atomically: true, encoding: .utf8)
        let configuration = try ConfigurationLoader.load(path: file.path, environment: Self.accounts)
        #expect(configuration.hosts.first?.token?.publicKey == directory.appendingPathComponent("jwt.pem").path)
        var server = XMPPServer.Configuration(configuration)
        #expect(server.setTokenKeys(configuration, environment: [:]).isEmpty)
        #expect(server.hosts.first?.token?.key == .publicKey(try #require(RSAPublicKey(pem: pem))))

        try Self.hosts("token: { app_id: my_app, algorithm: RS256, public_key: bad.pem }")
            .write(to: file, atomically: true, encoding: .utf8)
        let bad = try ConfigurationLoader.load(path: file.path, environment: Self.accounts)
        var badServer = XMPPServer.Configuration(bad)
        #expect(badServer.setTokenKeys(bad, environment: [:]).first?.contains("holds no RSA public key") == true)
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        #expect(self.summary(Self.hosts("")) == ["2:5 error hosts[0]"])
        #expect(self.summary(Self.hosts("token: { app_secret: x }")) == ["4:12 error hosts[0].token"])
        #expect(self.summary(Self.hosts("token: { app_id: a }")) == ["4:12 error hosts[0].token"])
        #expect(
            self.summary(Self.hosts("token: { app_id: a, app_secret: x, app_secret_env: Y }"))
                == ["4:37 error hosts[0].token.app_secret"]
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, algorithm: HS257, app_secret_env: Y }"),
                environment: ["Y": "y"]
            )
                == ["4:36 error hosts[0].token.algorithm"]
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, app_secret_env: Y, public_key: k.pem }"),
                environment: ["Y": "y"]
            )
                == ["4:56 error hosts[0].token.public_key"]
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, algorithm: RS256, app_secret_env: Y }"),
                environment: ["Y": "y"]
            )
                == ["4:12 error hosts[0].token", "4:59 error hosts[0].token.app_secret_env"]
        )
        #expect(
            self.summary(Self.hosts("token: { app_id: a, algorithm: RS256, asap_key_server: 'https://keys' }")).isEmpty
        )
        #expect(
            self.summary(Self.hosts("token: { app_id: a, algorithm: RS256, asap_key_server: 'ftp://keys' }"))
                == ["4:60 error hosts[0].token.asap_key_server"]
        )
        #expect(
            self.summary(Self.hosts("token: { app_id: a, app_secret: x, asap_key_server: 'https://keys' }"))
                .contains("4:57 error hosts[0].token.asap_key_server")
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, app_secret_env: Y, clock_skew: 900, accepted_audiences: [] }"),
                environment: ["Y": "y"]
            )
                == ["4:56 error hosts[0].token.clock_skew", "4:81 error hosts[0].token.accepted_audiences"]
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, app_secret_env: Y, allow_emty: true }"),
                environment: ["Y": "y"]
            )
                == ["4:44 error hosts[0].token.allow_emty"]
        )
        #expect(
            self.summary(Self.hosts("token: { app_id: a, app_secret_env: Y }")) == [
                "4:41 warning hosts[0].token.app_secret_env"
            ]
        )
        #expect(
            self.summary(
                Self.hosts("token: { app_id: a, app_secret_env: Y }", authentication: "anonymous"),
                environment: ["Y": "y"]
            )
                == ["4:12 error hosts[0].token"]
        )
        #expect(
            self.summary(
                Self.hosts("sasl_mechanisms: [PLAIN]\ntoken: { app_id: a, app_secret_env: Y }"),
                environment: ["Y": "y"]
            )
                == ["4:23 error hosts[0].sasl_mechanisms[0]"]
        )
    }

    @Test func dockersVariables() throws {
        let (configuration, notes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: [
                "ENABLE_AUTH": "1", "AUTH_TYPE": "jwt", "JWT_APP_ID": "my_app", "JWT_APP_SECRET": "north",
                "JWT_ACCEPTED_ISSUERS": "my_app, other", "JWT_ACCEPTED_AUDIENCES": "jitsi", "JWT_ALLOW_EMPTY": "1",
                "JWT_ENABLE_DOMAIN_VERIFICATION": "true",
            ]
        )
        #expect(notes.filter { !$0.contains("listening on all interfaces") }.isEmpty)
        #expect(configuration.hosts.map(\.authentication) == [.token, .internalHashed])
        let token = try #require(configuration.hosts.first?.token)
        #expect(token.appID == "my_app" && token.appSecretEnvironment == "JWT_APP_SECRET" && token.appSecret == nil)
        #expect(token.acceptedIssuers == ["my_app", "other"] && token.acceptedAudiences == ["jitsi"])
        #expect(token.allowEmpty && token.verifySubject && token.algorithm == .hs256)
        var server = XMPPServer.Configuration(configuration)
        #expect(server.setTokenKeys(configuration, environment: ["JWT_APP_SECRET": "north"]).isEmpty)
        #expect(server.hosts.first?.token?.key == .secret(Array("north".utf8)))

        // Without JWT_APP_ID: a note, and the server refuses to start rather than let anyone in.
        let (missing, missingNotes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: ["ENABLE_AUTH": "1", "AUTH_TYPE": "jwt", "JWT_APP_SECRET": "north"]
        )
        #expect(missingNotes.contains { $0.contains("JWT_APP_ID") })
        #expect(!missingNotes.joined().contains("north"))
        var missingServer = XMPPServer.Configuration(missing)
        #expect(!missingServer.setTokenKeys(missing, environment: ["JWT_APP_SECRET": "north"]).isEmpty)

        let (keyServer, keyServerNotes) = JitsiEnvironment.apply(
            to: .jitsiPreset,
            environment: [
                "ENABLE_AUTH": "1", "AUTH_TYPE": "jwt", "JWT_APP_ID": "a", "JWT_SIGN_TYPE": "RS256",
                "JWT_ASAP_KEYSERVER": "https://keys.example.org",
            ]
        )
        #expect(keyServer.hosts.first?.token?.algorithm == .rs256)
        #expect(keyServer.hosts.first?.token?.asapKeyServer == "https://keys.example.org")
        #expect(keyServerNotes.filter { !$0.contains("listening on all interfaces") }.isEmpty)
        var keyServerServer = XMPPServer.Configuration(keyServer)
        #expect(keyServerServer.setTokenKeys(keyServer, environment: [:]).isEmpty)
        #expect(keyServerServer.hosts.first?.tokenKeyServer?.description == "https://keys.example.org")
        // Without AUTH_TYPE=jwt the main host stays anonymous.
        let (plain, _) = JitsiEnvironment.apply(to: .jitsiPreset, environment: ["JWT_APP_ID": "a"])
        #expect(plain.hosts.first?.authentication == .anonymous)
    }
}

/// Where RS256 keys are fetched from, and the cache they are kept in.
@Suite struct KeyServerTests {
    @Test func keyPaths() throws {
        let server = try #require(KeyServer("https://keys.example.org/asap/"))
        #expect(server.host == "keys.example.org" && server.port == 443 && server.path == "/asap")
        // hex(sha256("parley/test-key")), as `printf %s parley/test-key | sha256sum` gives it.
        #expect(server.keyPath(kid: "parley/test-key") == "/asap/\(Self.sha256Hex("parley/test-key")).pem")
        #expect(KeyServer("http://127.0.0.1:8080")?.keyPath(kid: "k").hasPrefix("/") == true)
        #expect(KeyServer("http://127.0.0.1:8080")?.port == 8080)
        #expect(KeyServer("ftp://keys") == nil && KeyServer("keys.example.org") == nil && KeyServer("https://") == nil)
    }

    static func sha256Hex(_ text: String) -> String {
        HashAlgorithm.sha256.hash(Array(text.utf8)).map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    @Test func theCacheKeepsTheMostRecentlyUsed() throws {
        let pem = """
            -----BEGIN PUBLIC KEY-----
            MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqUIKhlbTLvKV1MrpcJaC
            5u+p7NkuiBgkXjZtfNgdVUNHJBVMRzm89tayTuVj6b0BhewF+18iaPsx5CBRGaBX
            nhFbtD99lsbGxr8J+xM0xYV1dFEM6/le4LzkYdjQnk9x0A+bkuioZkQnrvwIotfQ
            AxXU3igMk/jgT0OVHyjp9WwT5PmtUOuR0u/OBEzRBhylYgps7uniKxMqb9xGN52u
            vT2/CnSnlayjMwzujj0Mp6oxP7liioiFmGWDJPTEsYHacneLpW7imqh3pKLQBrnY
            9yrdy7fM59kzqYKXdzoDyeiirkFhysp7Yw5Wgb5RkicnfiXBwuCgLnRuE9OVrbpa
            pwIDAQAB
            -----END PUBLIC KEY-----
            """
        let key = try #require(RSAPublicKey(pem: pem))
        let cache = PublicKeyCache(capacity: 2)
        cache.insert(key, kid: "a")
        cache.insert(key, kid: "b")
        #expect(cache["a"] != nil)  // a is now more recent than b
        cache.insert(key, kid: "c")
        #expect(cache.count == 2 && cache["a"] != nil && cache["b"] == nil && cache["c"] != nil)
    }
}
