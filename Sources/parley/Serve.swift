import ArgumentParser

/// `parley serve`: a placeholder until the server lifecycle lands.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @Option(name: .long, help: "The YAML configuration file (default: the Jitsi preset).")
    var config: String?

    @Flag(name: .long, help: "Keep accounts in memory only.")
    var ephemeral = false

    func run() throws {
        print("not yet")
    }
}
