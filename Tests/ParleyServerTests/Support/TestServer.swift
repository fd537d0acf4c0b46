import Logging
import NIOCore
import NIOPosix
import ParleyCore
import ParleyTLS

@testable import ParleyServer

/// A real `XMPPServer` on ephemeral loopback ports, with a self-signed certificate and in-test accounts.
final class TestServer: Sendable {
    struct Accounts: SASLCredentialLookup {
        let table: [String: SCRAMCredentials]
        func scramCredentials(username: String, algorithm: HashAlgorithm) -> SCRAMCredentials? {
            guard let c = self.table[username], c.algorithm == algorithm else { return nil }
            return c
        }
    }

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    static let certificate: (certificatePEM: String, privateKeyPEM: String) = {
        (try? SelfSignedCertificate.make(hosts: ["meet.jitsi", "auth.meet.jitsi"])) ?? ("", "")
    }()

    let server: XMPPServer
    let ports: XMPPServer.BoundPorts

    /// `store`: the accounts' store (SQLite, say) behind the server's `HostCredentialLookup`, instead of `accounts`.
    init(
        accounts: [String: String] = [:],
        store: (any AccountStore)? = nil,
        configure: (inout XMPPServer.Configuration) -> Void = { _ in }
    ) throws {
        var configuration = XMPPServer.Configuration(ServerConfiguration.jitsiPreset)
        configuration.c2sPort = 0
        configuration.c2sTLSPort = 0
        configuration.httpPort = 0
        configure(&configuration)
        var table: [String: SCRAMCredentials] = [:]
        for (user, password) in accounts {
            table[user] = SCRAMCredentials.derive(password: password, algorithm: .sha256, iterations: 4096)
        }
        let lookup = Accounts(table: table)
        let tls = try TLSContext.server(
            certificateChainPEM: TestServer.certificate.certificatePEM,
            privateKeyPEM: TestServer.certificate.privateKeyPEM
        )
        var logger = Logger(label: "parley.test")
        logger.logLevel = .warning
        let credentials: @Sendable (HostConfiguration) -> any SASLCredentialLookup
        if let store {
            credentials = { host in HostCredentialLookup(store: store, host: host.domain) }
        } else {
            credentials = { _ in lookup }
        }
        self.server = XMPPServer(
            configuration: configuration,
            tls: tls,
            credentials: credentials,
            group: TestServer.group,
            logger: logger
        )
        self.ports = try self.server.start()
    }

    func client() async throws -> TestClient {
        try await TestClient.connect(port: self.ports.c2s, group: TestServer.group)
    }

    func shutdown() { self.server.shutdown() }
}
