import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import ParleyLoad
import ParleyTLS
import Synchronization

/// `parley fake-bridge`: a videobridge stand-in for end-to-end tests of Jicofo (Docs/Testing-Jicofo.md). It logs in
/// like JVB (STARTTLS, SASL PLAIN), joins the brewery with Colibri stats presence and answers Colibri2
/// `conference-modify` (`ColibriBridge`); each thing it does is one JSON line on stdout.
struct FakeBridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-bridge",
        abstract: "A fake videobridge: joins the brewery and answers Jicofo's Colibri2 requests (for tests).",
        discussion: """
            Prints one JSON line per event: {"event":"connected",…}, {"event":"joined",…}, \
            {"event":"conference-modify","meeting_id":…,"endpoints_created":[…],…}, {"event":"failed",…}. \
            Runs until SIGINT or SIGTERM; exits 1 when the login or the join fails or the server closes the stream. \
            The password may also come from JVB_AUTH_PASSWORD.
            """
    )

    @Option(help: "The server's address (loopback by default).")
    var host: String = "127.0.0.1"

    @Option(help: "The server's c2s port (STARTTLS).")
    var port: Int = 5222

    @Option(help: "The bridge's account.")
    var jid: String = "jvb@auth.meet.jitsi"

    @Option(help: "Its password (or JVB_AUTH_PASSWORD).")
    var password: String?

    @Option(help: "The brewery room.")
    var brewery: String = "jvbbrewery@internal-muc.meet.jitsi"

    @Option(help: "The bridge's nick in the brewery.")
    var nick: String = "fakebridge"

    @Option(help: "A region in the stats (Jicofo's region-based selection).")
    var region: String?

    @Option(help: "Seconds between stats presences.")
    var statsInterval: Int = 5

    @Option(help: "Makes credentials and SSRCs repeatable.")
    var seed: UInt64?

    func validate() throws {
        let parts = self.jid.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }), !self.jid.contains("/") else {
            throw ValidationError("--jid wants a bare JID, e.g. jvb@auth.meet.jitsi")
        }
        guard (1...3600).contains(self.statsInterval) else { throw ValidationError("--stats-interval: 1 to 3600") }
    }

    func run() throws {
        let stopSignals = Serve.blockStopSignals()
        guard let password = self.password ?? ProcessInfo.processInfo.environment["JVB_AUTH_PASSWORD"] else {
            throw ValidationError("give --password or set JVB_AUTH_PASSWORD")
        }
        let parts = self.jid.split(separator: "@", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--jid wants a bare JID") }
        let session = FakeBridgeSession(
            configuration: .init(
                domain: parts[1],
                username: parts[0],
                password: password,
                brewery: self.brewery,
                nick: self.nick,
                region: self.region,
                seed: self.seed ?? UInt64.random(in: .min ... .max)
            )
        )
        let tls = try TLSContext.client(verifyPeer: false)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let interval = TimeAmount.seconds(Int64(self.statsInterval))
        let output = FileHandle.standardOutput
        let failure = FailureFlag()
        let channel = try ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        FakeBridgeHandler(
                            session: session,
                            tls: tls,
                            statsInterval: interval,
                            report: { line in output.write(Data((line + "\n").utf8)) },
                            failed: { _ in
                                failure.set()
                                kill(getpid(), SIGTERM)
                            }
                        )
                    )
                }
            }
            .connect(host: self.host, port: self.port)
            .wait()
        Serve.waitForSignal(stopSignals)
        // Read before closing: the close itself ends the stream, which is no failure here.
        let failed = failure.isSet
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
        if failed { throw ExitCode.failure }
    }
}

/// Set once when the bridge gives up (read after the signal wakes the main thread).
private final class FailureFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { self.flag.store(true, ordering: .releasing) }
    var isSet: Bool { self.flag.load(ordering: .acquiring) }
}
