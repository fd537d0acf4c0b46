import Foundation

/// Loads the Jitsi stanza fixtures from `Tests/Fixtures/jitsi` (copied from shared/fixtures/jitsi).
public enum Fixtures {
    public static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Tests/Fixtures/jitsi")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return URL(fileURLWithPath: "Tests/Fixtures/jitsi")
    }()

    public static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".xml") }.sorted()
    }

    public static func bytes(_ name: String) -> [UInt8] {
        (try? Array(Data(contentsOf: directory.appendingPathComponent(name)))) ?? []
    }
}
