import ArgumentParser
import Foundation
import ParleyServer

/// `parley check FILE`: prints every issue of a configuration file; fails when there is an error.
/// `parley check --privacy [--config FILE]`: what the configuration exposes about participants.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file and print every problem with its line and column.",
        discussion: """
            --privacy lints the configuration against Parley's privacy defaults (GDPR data minimisation): logs \
            with addresses or room names, chat history kept, the room-name policy off or loosened, version \
            disclosure, plaintext c2s, TURN over plain UDP only. Each warning names the YAML line and a \
            recommended value. Without a file, the built-in Jitsi preset is checked.
            """
    )

    @Argument(help: "The YAML configuration file.")
    var file: String?

    @Option(name: .long, help: "The YAML configuration file (the same as FILE).")
    var config: String?

    @Flag(name: .long, help: "Lint the configuration against Parley's privacy defaults.")
    var privacy = false

    func validate() throws {
        if self.file != nil && self.config != nil {
            throw ValidationError("give the file once: FILE or --config FILE")
        }
        if self.file == nil && self.config == nil && !self.privacy {
            throw ValidationError("name the configuration file: parley check FILE")
        }
    }

    func run() throws {
        let path = self.file ?? self.config
        if self.privacy {
            try self.checkPrivacy(path: path)
            return
        }
        guard let path else { return }
        let issues = ConfigurationLoader.check(path: path)
        for issue in issues {
            print(issue.description)
        }
        guard !issues.contains(where: \.isError) else {
            throw ExitCode.failure
        }
        print("\(path): OK")
    }

    /// Prints the privacy findings; fails only when the file has errors (findings are warnings).
    private func checkPrivacy(path: String?) throws {
        var yaml = ""
        let name = path ?? "(the Jitsi preset)"
        if let path {
            let issues = ConfigurationLoader.check(path: path)
            guard !issues.contains(where: \.isError) else {
                for issue in issues where issue.isError { print(issue.description) }
                throw ExitCode.failure
            }
            yaml = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        }
        let findings = PrivacyCheck.check(yaml: yaml, path: name, environment: ProcessInfo.processInfo.environment)
        for finding in findings {
            print(finding.description)
        }
        print(findings.isEmpty ? "\(name): no privacy warnings" : "\(name): \(findings.count) privacy warning(s)")
    }
}
