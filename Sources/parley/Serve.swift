import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ParleyCore
import ParleyServer
import ParleyTLS

/// `parley serve`: runs the server. With no file, the Jitsi preset on 127.0.0.1.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (the Jitsi preset on 127.0.0.1 when no configuration file is given).",
        discussion: """
            --ephemeral binds free ports on 127.0.0.1, keeps everything in memory (accounts, certificate), \
            serves the control API (Docs/Testing-Jicofo.md) on loopback, and once it accepts connections prints \
            one JSON line naming its ports, for test harnesses:
              {"c2s":41234,"c2s_tls":41235,"control":41237,"http":41236}
            """
    )

    @Option(name: .long, help: "A YAML configuration file (see Docs/Configuration.md).")
    var config: String?

    @Flag(name: .long, help: "Free ports on 127.0.0.1, everything in memory, ports printed as one JSON line.")
    var ephemeral = false

    @Option(
        name: .customLong("account"),
        help: "With --ephemeral: an account to create, as JID:PASSWORD (repeatable)."
    )
    var accounts: [String] = []

    @Option(
        name: .long,
        help: "With --ephemeral: make anonymous usernames, stream ids, resources and meeting ids repeatable."
    )
    var seed: UInt64?

    @Option(name: .long, help: "Override the log level (trace, debug, info, notice, warning, error, critical).")
    var logLevel: String?

    func validate() throws {
        if !self.accounts.isEmpty && !self.ephemeral {
            throw ValidationError("--account is for --ephemeral test servers; use `parley user add` otherwise.")
        }
        if self.seed != nil && !self.ephemeral {
            throw ValidationError("--seed is for --ephemeral test servers: it makes identifiers guessable.")
        }
    }

    func run() throws {
        let started = ContinuousClock.now
        // Before any thread starts, so that every thread inherits the mask: a stop signal stays pending until
        // `waitForSignal` takes it, however early it comes (a harness may signal right after the ports line).
        let stopSignals = Serve.blockStopSignals()
        let environment = ProcessInfo.processInfo.environment
        var file: ServerConfiguration
        var startupNotes: [String] = []
        if let path = self.config {
            file = try ConfigurationLoader.load(path: path, environment: environment)
        } else {
            // The Jitsi preset, driven by docker-jitsi-meet's variables when they are set.
            (file, startupNotes) = JitsiEnvironment.apply(to: .jitsiPreset, environment: environment)
        }
        if self.ephemeral {
            file.listen.address = "127.0.0.1"
        }
        let level = self.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? file.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "parley")
        for note in startupNotes { logger.notice("\(note)") }

        // Accounts: SQLite in the data folder, or memory for --ephemeral.
        let store: any AccountStore =
            self.ephemeral ? MemoryAccountStore() : try SQLiteAccountStore(dataDirectory: file.dataDirectory)
        let commandLineAccounts = try self.accounts.map(Serve.parseAccount)
        let declaredAccounts = file.accounts
        // What start-up does to the store, and what the control API's reset does again.
        let applyConfiguredAccounts: @Sendable () throws -> [String] = {
            let warnings = AccountProvisioner.apply(declaredAccounts, to: store, environment: environment)
            for (jid, password) in commandLineAccounts {
                try store.setPassword(password, username: jid.localpart ?? "", host: jid.domainpart)
            }
            return warnings
        }
        for warning in try applyConfiguredAccounts() {
            logger.warning("\(warning)")
        }

        // TLS: the operator's PEM files, or a self-signed certificate (kept in the data folder, or in memory).
        let hosts = file.hosts.map(\.domain)
        let pem: (certificatePEM: String, privateKeyPEM: String)
        if let certificate = file.tls.certificate, let key = file.tls.key {
            pem = try CertificateStore.load(certificatePath: certificate, keyPath: key)
        } else if self.ephemeral {
            pem = try SelfSignedCertificate.make(hosts: hosts)
        } else {
            pem = try CertificateStore.loadOrCreate(directory: file.dataDirectory, hosts: hosts)
        }
        let tls = try TLSContext.server(certificateChainPEM: pem.certificatePEM, privateKeyPEM: pem.privateKeyPEM)

        let threads = file.eventLoops > 0 ? file.eventLoops : UsableCores.count
        // One loop: it and the main thread share glibc's main arena (`MallocArenas`).
        if threads == 1 { MallocArenas.useMainArenaOnly() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var serverConfiguration = XMPPServer.Configuration(file)
        // Room names that are account names are refused: the store's accounts as of start-up.
        let storedNames = (try? store.list(host: nil).compactMap(\.localpart)) ?? []
        serverConfiguration.setRoomNamePolicy(file, accountNames: file.declaredAccountNames.union(storedNames))
        for warning in serverConfiguration.setExternalServices(file, environment: environment) {
            logger.warning("\(warning)")
        }
        // Token hosts (JWT login): the secret from the environment or the public key file; none refuses to start.
        let tokenProblems = serverConfiguration.setTokenKeys(file, environment: environment)
        for problem in tokenProblems { logger.critical("Token authentication: \(problem)") }
        guard tokenProblems.isEmpty else { throw ExitCode.failure }
        for host in file.hosts where host.authentication == .token {
            logger.notice("Token authentication on \(host.domain): \(host.token.map(\.description) ?? "none")")
        }
        if let discovery = serverConfiguration.externalServices {
            logger.notice(
                "External services (XEP-0215): \(discovery.services.map(\.description).joined(separator: ", "))"
            )
        }
        // The control API: always with --ephemeral (loopback, no token); otherwise when the file turns it on.
        if self.ephemeral || file.control.enabled {
            let token = file.control.resolvedToken(environment: environment)
            guard self.ephemeral || token != nil else {
                logger.critical("The control API is enabled but its token is empty: set control.token or its variable")
                throw ExitCode.failure
            }
            serverConfiguration.control = ControlSettings(
                port: self.ephemeral ? 0 : file.control.port,
                token: token,
                accounts: try ControlAccounts(store: store) { _ = try applyConfiguredAccounts() }
            )
        }
        serverConfiguration.seed = self.seed
        if self.ephemeral {
            serverConfiguration.c2sPort = 0  // free ports, printed below
            serverConfiguration.c2sTLSPort = 0
            if serverConfiguration.httpPort != nil { serverConfiguration.httpPort = 0 }
            if serverConfiguration.httpsPort != nil { serverConfiguration.httpsPort = 0 }
            if serverConfiguration.agentPort != nil { serverConfiguration.agentPort = 0 }
        }
        let server = XMPPServer(
            configuration: serverConfiguration,
            tls: tls,
            credentials: { host in HostCredentialLookup(store: store, host: host.domain, logger: logger) },
            group: group,
            logger: logger
        )
        let ports = try server.start()

        if self.ephemeral {
            var line = "{\"c2s\":\(ports.c2s)"
            if let tlsPort = ports.c2sTLS { line += ",\"c2s_tls\":\(tlsPort)" }
            if let httpPort = ports.http { line += ",\"http\":\(httpPort)" }
            if let httpsPort = ports.https { line += ",\"https\":\(httpsPort)" }
            if let controlPort = ports.control { line += ",\"control\":\(controlPort)" }
            if let agentPort = ports.agent { line += ",\"agent\":\(agentPort)" }
            line += "}\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let elapsed = ContinuousClock.now - started
        logger.notice(
            "Parley is serving",
            metadata: [
                "hosts": "\(hosts.joined(separator: ","))", "c2s": "\(ports.c2s)",
                "c2s_tls": "\(ports.c2sTLS.map(String.init) ?? "off")",
                "http": "\(ports.http.map(String.init) ?? "off")", "startup": "\(elapsed)",
            ]
        )
        Serve.waitForSignal(stopSignals)
        logger.notice("Shutting down")
        server.shutdown()
        try? group.syncShutdownGracefully()
    }

    /// `JID:PASSWORD`, split at the first `:` after the `@` (a localpart cannot contain `:`, RFC 7622 §3.3.1).
    static func parseAccount(_ spec: String) throws -> (JID, String) {
        guard let at = spec.firstIndex(of: "@"), let colon = spec[at...].firstIndex(of: ":") else {
            throw ValidationError("--account wants JID:PASSWORD, e.g. focus@auth.meet.jitsi:secret")
        }
        let jid = try JID(spec[..<colon])
        let password = String(spec[spec.index(after: colon)...])
        guard jid.localpart != nil, jid.resourcepart == nil, !password.isEmpty else {
            throw ValidationError("--account wants a bare JID with a localpart and a non-empty password")
        }
        return (jid, password)
    }

    /// Blocks SIGINT and SIGTERM in the calling thread and in the threads it starts later; returns their set.
    static func blockStopSignals() -> sigset_t {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        return stopSignals
    }

    /// Waits until SIGINT or SIGTERM (blocked by `blockStopSignals`, so none that came earlier is lost).
    static func waitForSignal(_ stopSignals: sigset_t) {
        var stopSignals = stopSignals
        var received: Int32 = 0
        while sigwait(&stopSignals, &received) != 0 {}
    }
}
