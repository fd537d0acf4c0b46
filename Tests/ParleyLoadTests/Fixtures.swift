import Foundation

/// Reads the Jitsi stanza fixtures from `Tests/Fixtures/jitsi`.
enum Fixtures {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Tests/Fixtures/jitsi")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "Tests/Fixtures/jitsi")
    }()

    static func string(_ name: String) throws -> String {
        try String(contentsOf: self.directory.appendingPathComponent(name), encoding: .utf8)
    }
}
