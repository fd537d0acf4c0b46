import ArgumentParser
import ParleyServer

/// `parley drain [ready|drain|maint]`: sets (or shows) a running server's shard state through its web listener's
/// `/shard-status`, from loopback. Docs/Operations.md.
struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set or show a running server's shard state: ready, drain or maint.",
        discussion: """
            drain: existing conferences go on, the HAProxy agent reports weight 0 so new rooms go to other shards \
            (and, with operations.drain_refuses_new_conferences, conference requests for new rooms are refused). \
            maint: out of service. ready: back in service. Without a state, prints the current one.
            """
    )

    @Argument(help: "ready, drain or maint; none to show the current state.")
    var state: String?

    @Option(help: "The server's web listener address (it must accept the request as loopback).")
    var host = "127.0.0.1"

    @Option(help: "The server's web listener port (listen.http_port).")
    var port = 5280

    func run() throws {
        var wanted: ShardState?
        if let state = self.state {
            guard let parsed = ShardState(text: state) else {
                throw ValidationError("The state must be ready, drain or maint, not '\(state)'.")
            }
            wanted = parsed
        }
        let answer = try ShardStatusClient.send(wanted, host: self.host, port: self.port)
        guard answer.status == 200 else {
            throw ValidationError("The server answered \(answer.status): \(answer.body)")
        }
        print(answer.body.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
