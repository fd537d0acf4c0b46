import Testing

@testable import ParleyCore

private struct Lookup: SASLCredentialLookup {
    var accounts: [String: [HashAlgorithm: SCRAMCredentials]]
    func scramCredentials(username: String, algorithm: HashAlgorithm) -> SCRAMCredentials? {
        self.accounts[username]?[algorithm]
    }
}

private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite struct SCRAMServerTests {
    /// RFC 5802 §5 example.
    @Test func rfc5802SHA1Vector() throws {
        let salt = try #require(Base64.decode("QSXCR+Q6sek8bf92"))
        let credentials = SCRAMCredentials.derive(password: "pencil", algorithm: .sha1, salt: salt, iterations: 4096)
        let lookup = Lookup(accounts: ["user": [.sha1: credentials]])
        var server = SCRAMServer(algorithm: .sha1, serverNonce: "3rfcNHYJY1ZVvWVs7j")
        let first = server.receive(bytes("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"), lookup: lookup)
        #expect(first == .challenge(bytes("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")))
        let final = server.receive(
            bytes("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
            lookup: lookup
        )
        #expect(final == .success(username: "user", additionalData: bytes("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")))
    }

    /// RFC 7677 §3 example.
    @Test func rfc7677SHA256Vector() throws {
        let salt = try #require(Base64.decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
        let credentials = SCRAMCredentials.derive(password: "pencil", algorithm: .sha256, salt: salt, iterations: 4096)
        let lookup = Lookup(accounts: ["user": [.sha256: credentials]])
        var server = SCRAMServer(algorithm: .sha256, serverNonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
        let first = server.receive(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"), lookup: lookup)
        #expect(
            first
                == .challenge(
                    bytes("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
                )
        )
        let final = server.receive(
            bytes(
                "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
            ),
            lookup: lookup
        )
        #expect(
            final == .success(username: "user", additionalData: bytes("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="))
        )
    }

    @Test func wrongProofIsNotAuthorized() throws {
        let salt = try #require(Base64.decode("QSXCR+Q6sek8bf92"))
        let lookup = Lookup(accounts: [
            "user": [.sha1: SCRAMCredentials.derive(password: "other", algorithm: .sha1, salt: salt, iterations: 4096)]
        ])
        var server = SCRAMServer(algorithm: .sha1, serverNonce: "3rfcNHYJY1ZVvWVs7j")
        _ = server.receive(bytes("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"), lookup: lookup)
        let final = server.receive(
            bytes("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="),
            lookup: lookup
        )
        #expect(final == .failure(SASLFailure(.notAuthorized)))
    }

    @Test func unknownUserGetsADecoyChallengeThenFails() {
        var server = SCRAMServer(algorithm: .sha1)
        let first = server.receive(bytes("n,,n=nobody,r=abc"), lookup: Lookup(accounts: [:]))
        guard case .challenge(let challenge) = first else {
            Issue.record("expected a challenge")
            return
        }
        #expect(String(decoding: challenge, as: UTF8.self).contains(",i=4096"))
        let nonce = String(decoding: challenge, as: UTF8.self).split(separator: ",")[0].dropFirst(2)
        let final = server.receive(
            bytes("c=biws,r=\(nonce),p=AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            lookup: Lookup(accounts: [:])
        )
        #expect(final == .failure(SASLFailure(.notAuthorized)))
    }

    @Test(arguments: [
        "", "x", "n,,", "n,,r=abc", "n,,n=user", "p=tls-unique,,n=user,r=a", "n,,n=us=er,r=a", "n,,n=user,r=a,b",
    ])
    func malformedClientFirst(_ message: String) {
        var server = SCRAMServer(algorithm: .sha256)
        guard case .failure = server.receive(bytes(message), lookup: Lookup(accounts: [:])) else {
            Issue.record("accepted \(message)")
            return
        }
    }

    @Test func nonceMismatchFails() throws {
        let lookup = Lookup(accounts: ["user": [.sha1: SCRAMCredentials.derive(password: "pencil", algorithm: .sha1)]])
        var server = SCRAMServer(algorithm: .sha1, serverNonce: "S")
        _ = server.receive(bytes("n,,n=user,r=C"), lookup: lookup)
        let final = server.receive(bytes("c=biws,r=CX,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="), lookup: lookup)
        #expect(final == .failure(SASLFailure(.notAuthorized, text: "Nonce mismatch")))
    }

    @Test func saslNameDecoding() {
        #expect(SCRAMServer.decodeSaslName("a=2Cb=3Dc") == "a,b=c")
        #expect(SCRAMServer.decodeSaslName("a=2") == nil)
        #expect(SCRAMServer.decodeSaslName("a=4") == nil)
    }

    @Test func plainAgainstStoredCredentials() {
        let lookup = Lookup(accounts: [
            "focus": [.sha256: SCRAMCredentials.derive(password: "s3cret", algorithm: .sha256)]
        ])
        #expect(
            SASLPlain.authenticate([0] + bytes("focus") + [0] + bytes("s3cret"), lookup: lookup)
                == .success(username: "focus", additionalData: [])
        )
        #expect(
            SASLPlain.authenticate([0] + bytes("focus") + [0] + bytes("wrong"), lookup: lookup)
                == .failure(SASLFailure(.notAuthorized))
        )
        #expect(
            SASLPlain.authenticate(bytes("focus"), lookup: lookup)
                == .failure(SASLFailure(.malformedRequest, text: "Malformed PLAIN message"))
        )
        #expect(
            SASLPlain.authenticate(bytes("other@x") + [0] + bytes("focus") + [0] + bytes("s3cret"), lookup: lookup)
                == .failure(SASLFailure(.invalidAuthzid))
        )
    }

    @Test func anonymousUsernamesAreRandomLowercase() {
        let a = SASLAnonymous.randomUsername()
        let b = SASLAnonymous.randomUsername()
        #expect(a != b)
        #expect(a.count == 16 && a.allSatisfy { $0.isLowercase || $0.isNumber })
    }
}

@Suite struct Base64Tests {
    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test(arguments: ["Zg=", "Zg", "Z===", "Zm9v\n", "Zm9v YmFy", "Zh==", "Zm9=", "Zg==Zg==", "****"])
    func strictDecodingRefuses(_ input: String) {
        #expect(Base64.decode(input) == nil)
    }
}
