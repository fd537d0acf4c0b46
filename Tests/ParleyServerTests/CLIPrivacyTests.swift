import Foundation
import Testing

extension CLITests {
    @Test("parley check --privacy prints each warning at its line and succeeds; the preset has none")
    func checkPrivacy() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("p.yaml")
        try "accounts: []\nlog_addresses: true\nc2s: { advertise_version: true }\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        let run = try self.parley(["check", "--privacy", "--config", file.path])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("\(file.path):2:16: warning: log_addresses: ") == true)
        #expect(lines.first?.hasSuffix("; recommended: false") == true)
        #expect(lines.last == "\(file.path): 2 privacy warning(s)")
        let preset = try self.parley(["check", "--privacy"])
        #expect(preset.status == 0 && preset.output == "(the Jitsi preset): no privacy warnings\n")
        let none = try self.parley(["check"])
        #expect(none.status != 0 && none.errorOutput.contains("name the configuration file"))
    }

    @Test("parley import prosody refuses to overwrite its output and makes its folder")
    func importProsodyOutput() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("prosody.cfg.lua")
        try "VirtualHost \"meet.example.org\"\n  authentication = \"anonymous\"\n".write(
            to: config,
            atomically: true,
            encoding: .utf8
        )
        let output = folder.appendingPathComponent("etc/parley/parley.yaml")
        let arguments = ["import", "prosody", config.path, "--data", folder.path, "--output", output.path]
        let first = try self.parley(arguments)
        #expect(first.status == 0, "\(first.errorOutput)")
        #expect(FileManager.default.fileExists(atPath: output.path))
        let again = try self.parley(arguments)
        #expect(again.status != 0 && again.errorOutput.contains("exists; add --force"))
        #expect(try self.parley(arguments + ["--force"]).status == 0)
    }
}
