import Foundation
import ParleyServer
import Testing

/// `parley check-room`, run as a process; skipped when the executable has not been built.
@Suite("CheckRoom CLI", .enabled(if: CLIExecutable.url != nil, "the parley executable is not built"))
struct CheckRoomCLITests {
    let cli = CLITests()

    @Test("an allowed name exits 0 and shows its normalised form")
    func allowed() throws {
        let run = try self.cli.parley(["check-room", "caf%C3%A9-meeting@muc.meet.jitsi"])
        #expect(run.status == 0)
        #expect(run.output.contains("normalised:  café-meeting\n"))
        #expect(run.output.contains("verdict:     allowed\n"))
        #expect(run.output.contains("explanation: read as a room JID on 'muc.meet.jitsi'; no rule matched"))
    }

    @Test("a refused name exits 1 with its category, the refusal text and the rule")
    func refused() throws {
        let run = try self.cli.parley(["check-room", "alice%40example.com"])
        #expect(run.status == 1)
        #expect(
            run.output == """
                name:        alice%40example.com
                normalised:  alice@example.com
                verdict:     refused
                category:    email ("room name looks like an e-mail address")
                explanation: the room name 'alice@example.com' has an '@' between a local part and a domain

                """
        )
        #expect(try self.cli.parley(["check-room", "focus"]).output.contains("category:    account"))
    }

    @Test("--config: the file's options and the accounts of its existing store")
    func configuration() throws {
        let folder = try self.cli.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data")
        let store = try SQLiteAccountStore(dataDirectory: data.path)
        try store.setPassword("secret", username: "carol", host: "auth.meet.jitsi")
        let config = folder.appendingPathComponent("parley.yaml")
        try "data_directory: data\naccounts: []\nroom_names:\n  minimum_length: 3\n  allow: [example.com]\n".write(
            to: config,
            atomically: true,
            encoding: .utf8
        )
        let options = ["--config", config.path]

        #expect(try self.cli.parley(["check-room", "carol"] + options).output.contains("category:    account"))
        #expect(try self.cli.parley(["check-room", "ab"] + options).output.contains("category:    too_short"))
        #expect(try self.cli.parley(["check-room", "example.com"] + options).status == 0)
        #expect(try self.cli.parley(["check-room", "dave"] + options).status == 0)
    }

    @Test("a configuration that does not load exits 2, and no store is created")
    func badConfiguration() throws {
        let folder = try self.cli.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("parley.yaml")
        try "room_names:\n  deny_patterns: ['(x']\n".write(to: config, atomically: true, encoding: .utf8)
        let run = try self.cli.parley(["check-room", "weekly", "--config", config.path])
        #expect(run.status == 2)
        #expect(run.errorOutput.contains("room_names.deny_patterns[0]"))

        try "data_directory: data\naccounts: []\n".write(to: config, atomically: true, encoding: .utf8)
        #expect(try self.cli.parley(["check-room", "weekly", "--config", config.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data").path))
    }
}
