import ArgumentParser
import ParleyTLS
import ParleyXML

/// `parley`: the one executable. Each subcommand is thin; the logic it drives lives in `ParleyServer`.
@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "An XMPP signalling server for self-hosted Jitsi Meet.",
        // The libraries as loaded at run time: what they can do decides whether the server starts (ExpatLibrary).
        version: "parley \(Parley.release)\n\(ExpatLibrary.current)\n\(OpenSSLLibrary.version)",
        subcommands: [
            Serve.self, User.self, Check.self, CheckRoom.self, Import.self, Load.self, FakeBridge.self, Drain.self,
        ]
    )

    /// The release this build belongs to.
    static let release = "0.1.0-dev"
}
