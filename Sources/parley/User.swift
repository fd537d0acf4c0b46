import ArgumentParser
import Foundation
import ParleyCore
import ParleyServer

/// `parley user add|passwd|delete|list`: manages the accounts of the SQLite store in the data directory.
///
/// Passwords come from `PARLEY_PASSWORD` or standard input, never from the command line, where `ps` and shell
/// history would show them.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the accounts of internal_hashed hosts.",
        discussion: """
            add and passwd read the password from the environment variable PARLEY_PASSWORD if it is set, \
            else from the first line of standard input (prompting without echo on a terminal).
            """,
        subcommands: [Add.self, Passwd.self, Delete.self, List.self]
    )
}

extension User {
    /// The options every `user` subcommand shares.
    struct Options: ParsableArguments {
        @Option(
            name: .long,
            help: "The YAML configuration file (default: the Jitsi preset, data directory ./data)."
        )
        var config: String?

        /// The configuration's account rules over its SQLite store.
        func administrator() throws -> AccountAdministrator {
            let configuration =
                try self.config.map { path throws(ConfigurationError) in try ConfigurationLoader.load(path: path) }
                ?? .jitsiPreset
            let store = try SQLiteAccountStore(dataDirectory: configuration.dataDirectory)
            return AccountAdministrator(configuration: configuration, store: store)
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; fails if it exists.")

        @OptionGroup var options: Options
        @Argument(help: "The account's JID, user@host.")
        var jid: String

        func run() throws {
            let jid = try AccountAdministrator.accountJID(self.jid)
            let administrator = try self.options.administrator()
            let password = try PasswordReader.read(for: jid, confirm: true)
            try administrator.add(jid, password: password)
            User.noteDeclared(jid, administrator)
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an account's password; fails if it does not exist."
        )

        @OptionGroup var options: Options
        @Argument(help: "The account's JID, user@host.")
        var jid: String

        func run() throws {
            let jid = try AccountAdministrator.accountJID(self.jid)
            let administrator = try self.options.administrator()
            let password = try PasswordReader.read(for: jid, confirm: true)
            try administrator.changePassword(jid, password: password)
            User.noteDeclared(jid, administrator)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an account; fails if it does not exist.")

        @OptionGroup var options: Options
        @Argument(help: "The account's JID, user@host.")
        var jid: String

        func run() throws {
            let jid = try AccountAdministrator.accountJID(self.jid)
            try self.options.administrator().delete(jid)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the accounts, one JID per line.")

        @OptionGroup var options: Options
        @Argument(help: "Only the accounts of this host.")
        var host: String?

        func run() throws {
            for jid in try self.options.administrator().list(host: self.host) {
                print(jid)
            }
        }
    }

    /// Start-up provisioning resets the password of an account the configuration declares; say so.
    static func noteDeclared(_ jid: JID, _ administrator: AccountAdministrator) {
        guard let account = administrator.declaredAccount(jid) else { return }
        let note =
            "note: \(account) is declared in the configuration; `parley serve` sets its password from there "
            + "at start-up when that password is available\n"
        FileHandle.standardError.write(Data(note.utf8))
    }
}
