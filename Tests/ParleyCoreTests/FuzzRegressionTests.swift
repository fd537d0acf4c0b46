import Foundation
import ParleyXML
import Testing

@testable import ParleyCore

/// Replays every input under `Tests/Fuzz/regressions/` (crashes libFuzzer found, kept as regression tests)
/// and the seeds, the way the fuzz target consumes them: the first byte is the split point.
@Suite struct FuzzRegressionTests {
    static let inputs: [URL] = {
        var root = URL(fileURLWithPath: #filePath)
        while root.path != "/"
            && !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path)
        {
            root.deleteLastPathComponent()
        }
        return ["Tests/Fuzz/regressions", "Tests/Fuzz/seeds"].flatMap { dir -> [URL] in
            let url = root.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
        }
    }()

    @Test(arguments: inputs)
    func replay(_ url: URL) throws {
        let bytes = try Array(Data(contentsOf: url))
        guard !bytes.isEmpty else { return }
        let parser = XMLStreamParser(configuration: .init(maxStanzaBytes: 64 * 1024, maxDepth: 40))
        let split = min(Int(bytes[0]), bytes.count)
        let handle: (XMLStreamEvent) -> Void = { event in
            if case .element(let element) = event {
                _ = try? Stanza(element)
                _ = element.serialized(inheritedNamespace: "jabber:client")
                if let to = element[attribute: "to"] { _ = try? JID(to) }
            }
        }
        do {
            try parser.feed(Array(bytes[..<split]), handle)
            try parser.feed(Array(bytes[split...]), handle)
        } catch is XMLStreamError {
            // Refusing is fine; trapping is not.
        }
    }
}
