import ArgumentParser

/// `parley`: the one executable. Each subcommand is thin; the logic it drives lives in `ParleyServer`.
@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "An XMPP signalling server for self-hosted Jitsi Meet.",
        subcommands: [Serve.self, User.self, Check.self, CheckRoom.self, Load.self]
    )
}
