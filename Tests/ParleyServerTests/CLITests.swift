import Foundation
import Testing

/// Where the built `parley` executable is: next to the test bundle, or in `.build-cfg` / `.build` of the package.
enum CLIExecutable {
    static let url: URL? = {
        let fileManager = FileManager.default
        let runner = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates = [
            runner.deletingLastPathComponent().appendingPathComponent("parley"),
            package.appendingPathComponent(".build-cfg/debug/parley"),
            package.appendingPathComponent(".build/debug/parley"),
        ]
        return candidates.first { fileManager.isExecutableFile(atPath: $0.path) }
    }()
}

/// Runs the built `parley` executable; skipped when it has not been built.
@Suite("CLI", .enabled(if: CLIExecutable.url != nil, "the parley executable is not built"))
struct CLITests {
    struct Run {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs `parley arguments…` with `input` on standard input and `PARLEY_PASSWORD` only when given.
    func parley(_ arguments: [String], input: String = "", password: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = CLIExecutable.url
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PARLEY_PASSWORD"] = password
        process.environment = environment
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errorOutput = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            output: String(decoding: output, as: UTF8.self),
            errorOutput: String(decoding: errorOutput, as: UTF8.self)
        )
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "parley-cli-\(UInt64.random(in: 0...UInt64.max))",
            isDirectory: true
        )
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("parley check prints every issue with file:line:column and fails; a good file is OK")
    func check() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.yaml")
        try "listen:\n  c2s_prot: 5222\n  http_port: 99999\naccounts: []\n".write(
            to: bad,
            atomically: true,
            encoding: .utf8
        )
        let failed = try self.parley(["check", bad.path])
        #expect(failed.status != 0)
        #expect(
            failed.output.split(separator: "\n").map(String.init) == [
                "\(bad.path):2:3: error: listen.c2s_prot: unknown key; did you mean 'c2s_port'?",
                "\(bad.path):3:14: error: listen.http_port: 99999 is not a port (0 to 65535)",
            ]
        )

        let good = folder.appendingPathComponent("good.yaml")
        try "log_level: debug\naccounts: []\n".write(to: good, atomically: true, encoding: .utf8)
        let passed = try self.parley(["check", good.path])
        #expect(passed.status == 0)
        #expect(passed.output == "\(good.path): OK\n")
    }

    @Test("parley user: add from stdin or PARLEY_PASSWORD, list, passwd, delete")
    func user() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("parley.yaml")
        try "data_directory: data\naccounts: []\n".write(to: config, atomically: true, encoding: .utf8)
        let options = ["--config", config.path]

        #expect(try self.parley(["user", "add", "Alice@auth.meet.jitsi"] + options, input: "pw-one\n").status == 0)
        #expect(try self.parley(["user", "add", "bob@auth.meet.jitsi"] + options, password: "pw-two").status == 0)
        let again = try self.parley(["user", "add", "alice@auth.meet.jitsi"] + options, input: "x\n")
        #expect(again.status != 0)
        #expect(again.errorOutput.contains("already exists"))
        let anonymous = try self.parley(["user", "add", "carol@meet.jitsi"] + options, input: "x\n")
        #expect(anonymous.status != 0)
        #expect(anonymous.errorOutput.contains("internal_hashed"))

        let list = try self.parley(["user", "list", "auth.meet.jitsi"] + options)
        #expect(list.output == "alice@auth.meet.jitsi\nbob@auth.meet.jitsi\n")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/accounts.sqlite").path))

        #expect(
            try self.parley(["user", "passwd", "alice@auth.meet.jitsi"] + options, input: "pw-three\n").status == 0
        )
        #expect(try self.parley(["user", "passwd", "dave@auth.meet.jitsi"] + options, input: "x\n").status != 0)
        #expect(try self.parley(["user", "delete", "bob@auth.meet.jitsi"] + options).status == 0)
        #expect(try self.parley(["user", "delete", "bob@auth.meet.jitsi"] + options).status != 0)
        #expect(try self.parley(["user", "list"] + options).output == "alice@auth.meet.jitsi\n")
        #expect(try self.parley(["user", "add", "erin@auth.meet.jitsi"] + options, input: "").status != 0)
    }
}
