import ArgumentParser
import Foundation
import ParleyServer

/// `parley import`: moving to Parley from another server.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move to Parley from another XMPP server.",
        subcommands: [ImportProsody.self]
    )
}

/// `parley import prosody CONFIG --data DIR --output FILE`: Prosody's configuration as a Parley YAML file, and
/// the accounts of its internal_hashed hosts in that file's account store (Docs/Migrating-from-Prosody.md).
struct ImportProsody: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prosody",
        abstract: "Convert a Prosody configuration and import its accounts.",
        discussion: """
            Reads CONFIG and the files it Includes (Debian's /etc/prosody/prosody.cfg.lua with conf.d/, or \
            docker-jitsi-meet's /config/prosody.cfg.lua), writes the Parley configuration to FILE, and imports \
            the internal_hashed accounts of Prosody's data folder into the account store of the data_directory \
            FILE names: their SCRAM-SHA-1 keys, so the old passwords keep working (no password is read). Every \
            module or option that is not carried over is listed with its file and line. Prosody is not touched.

            Example: parley import prosody /etc/prosody/prosody.cfg.lua --data /var/lib/prosody \
            --output /etc/parley/parley.yaml
            """
    )

    @Argument(help: "Prosody's main configuration file.")
    var config: String

    @Option(name: .long, help: "Prosody's data folder (default: data_path from CONFIG, else /var/lib/prosody).")
    var data: String?

    @Option(name: .long, help: "The Parley YAML file to write.")
    var output: String

    @Option(
        name: .long,
        help: "Parley's data_directory, relative to FILE's folder unless absolute (default: data)."
    )
    var dataDirectory = "data"

    @Flag(name: .long, help: "Overwrite FILE if it exists.")
    var force = false

    func run() throws {
        let prosody: ProsodyConfiguration
        do {
            prosody = try ProsodyConfiguration.read(path: self.config)
        } catch {
            ImportProsody.fail("cannot convert: \(error)")
        }
        let result = ProsodyConverter.convert(prosody, dataDirectory: self.dataDirectory)
        let outcome = ConfigurationLoader.parse(yaml: result.yaml, path: self.output, environment: [:])
        guard outcome.configuration != nil else {
            for issue in outcome.errors { ImportProsody.warn(issue.description) }
            ImportProsody.fail("the converted configuration is not valid (please report this); nothing written")
        }
        if FileManager.default.fileExists(atPath: self.output) && !self.force {
            ImportProsody.fail("\(self.output) exists; add --force to overwrite it")
        }
        // Mode 0600: the file may hold the token and TURN secrets Prosody's configuration had.
        let folder = URL(fileURLWithPath: self.output).deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard
            FileManager.default.createFile(
                atPath: self.output,
                contents: Data(result.yaml.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else {
            ImportProsody.fail("cannot write \(self.output)")
        }
        print("Wrote \(self.output) from \(prosody.files.count) Prosody file(s).")

        let notes = result.notes.filter { $0.kind != .mapped } + result.notes.filter { $0.kind == .mapped }
        if !notes.isEmpty {
            print("\nWhat was not carried over as it was (\(notes.count)):")
            for note in notes { print("  \(note)") }
        }

        let configuration = try ConfigurationLoader.load(path: self.output, environment: [:])
        let dataPath = self.data ?? result.dataPath ?? "/var/lib/prosody"
        let store = try SQLiteAccountStore(dataDirectory: configuration.dataDirectory)
        let accounts = ProsodyAccountImporter(dataPath: dataPath)
            .importAccounts(hosts: result.accountHosts, into: store)
        print("\nAccounts from \(dataPath) into \(store.path) (\(accounts.imported.count) imported):")
        for note in accounts.notes { print("  \(note)") }

        print("\nBefore the switch, stop Prosody: Parley takes over its ports.")
        for (role, port) in result.listeners {
            let holders = PortHolder.find(port: port)
            if holders.isEmpty {
                print("  \(port) (\(role)): no listener seen (already free, or not visible to this user)")
            }
            for holder in holders {
                print("  \(port) (\(role)): held by \(holder): \(holder.stopAdvice)")
            }
        }
        print(
            "  Debian: `systemctl stop prosody && systemctl disable prosody`; docker-jitsi-meet: stop and remove the "
                + "prosody service.\nThen: parley check \(self.output) && parley check --privacy --config "
                + "\(self.output) && parley serve --config \(self.output)"
        )
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func fail(_ text: String) -> Never {
        warn("parley import prosody: " + text)
        Foundation.exit(1)
    }
}
