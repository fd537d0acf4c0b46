import ArgumentParser
import Foundation
import ParleyMUC
import ParleyServer

/// `parley check-room NAME`: says what the room-name policy decides about a name, by which rule, and why.
///
/// It runs locally, so unlike the server it prints the name. Exit status: 0 allowed, 1 refused, 2 when the
/// configuration cannot be loaded.
struct CheckRoom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-room",
        abstract: "Explain whether the room-name policy allows a room name, and why.",
        discussion: """
            NAME is a room name as it appears in the meeting URL or on the wire (weekly-standup, caf%c3%a9, \
            [tenant]room) or a room JID (room@muc.meet.jitsi). Account names are looked up in the declared \
            accounts and, when it exists, the account store in the data directory. Exit status: 0 allowed, \
            1 refused, 2 configuration error.
            """
    )

    @Argument(help: "The room name to check.")
    var name: String

    @Option(name: .long, help: "The YAML configuration file (default: the Jitsi preset).")
    var config: String?

    func run() throws {
        let configuration: ServerConfiguration
        do {
            configuration =
                try self.config.map { path throws(ConfigurationError) in try ConfigurationLoader.load(path: path) }
                ?? .jitsiPreset
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let policy = configuration.roomNamePolicy(isAccountName: Self.accountLookup(configuration))
        let verdict = policy.evaluate(self.name)
        print("name:        \(self.name)")
        print("normalised:  \(verdict.normalizedName)")
        print("verdict:     \(verdict.isAllowed ? "allowed" : "refused")")
        if let category = verdict.category {
            print("category:    \(category.rawValue) (\"\(category.refusalText)\")")
        }
        print("explanation: \(verdict.explanation)")
        if !verdict.isAllowed {
            throw ExitCode.failure
        }
    }

    /// The declared accounts, and the SQLite store's accounts on the internal_hashed hosts when the store's file
    /// exists (it is never created here).
    static func accountLookup(_ configuration: ServerConfiguration) -> @Sendable (String) -> Bool {
        let declared = configuration.declaredAccountNames
        let hosts = configuration.hosts.filter { $0.authentication == .internalHashed }.map(\.domain)
        let path = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true)
            .appendingPathComponent(SQLiteAccountStore.fileName).path
        let store = FileManager.default.fileExists(atPath: path) ? try? SQLiteAccountStore(path: path) : nil
        return { name in
            if declared.contains(name) { return true }
            guard let store else { return false }
            return hosts.contains { host in (try? store.exists(username: name, host: host)) == true }
        }
    }
}
