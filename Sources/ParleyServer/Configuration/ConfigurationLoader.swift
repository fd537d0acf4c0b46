import Foundation
import Yams

/// Reads a YAML configuration into a `ServerConfiguration`, finding every problem at once.
///
/// The file is walked as a Yams `Node` tree rather than decoded with `Codable`, so each problem keeps the line
/// and column of the key or value it is about, and one run reports them all (`parley check`):
///
/// ```
/// parley.yaml:4:3: error: listen.c2s_prot: unknown key; did you mean 'c2s_port'?
/// parley.yaml:9:13: error: hosts[0].authentication: unknown authentication 'ldap' (anonymous, internal_hashed)
/// ```
///
/// The environment is a parameter (it decides `password_env` warnings); the default is the process's.
public enum ConfigurationLoader {
    /// What parsing a configuration gave: the configuration when there was no error, and every issue.
    public struct Outcome: Sendable, Equatable {
        /// The configuration, or nil when `issues` contains an error.
        public var configuration: ServerConfiguration?
        /// Every error and warning, in file order.
        public var issues: [ConfigurationIssue]

        public var errors: [ConfigurationIssue] { self.issues.filter(\.isError) }
        public var warnings: [ConfigurationIssue] { self.issues.filter { !$0.isError } }
    }

    /// Parses `yaml` (whose file name, for messages, is `path`) and reports the configuration and every issue.
    /// Relative paths in the result are left as written.
    public static func parse(
        yaml: String,
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Outcome {
        let parser = ConfigurationParser(path: path, environment: environment)
        let configuration = parser.parse(yaml: yaml)
        let issues = parser.sortedIssues
        return Outcome(configuration: issues.contains(where: \.isError) ? nil : configuration, issues: issues)
    }

    /// Every issue of `yaml`, in file order: syntax errors, unknown keys, wrong types and values, and the
    /// consistency rules between sections. Empty when the configuration is valid and has no warning.
    public static func check(
        yaml: String,
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [ConfigurationIssue] {
        self.parse(yaml: yaml, path: path, environment: environment).issues
    }

    /// Every issue of the file at `path`, including one for a file that cannot be read.
    public static func check(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [ConfigurationIssue] {
        switch self.read(path: path) {
        case .success(let yaml): self.check(yaml: yaml, path: path, environment: environment)
        case .failure(let error): error.issues
        }
    }

    /// The configuration in `yaml`; throws a `ConfigurationError` listing every issue when there is an error.
    public static func load(
        yaml: String,
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ServerConfiguration {
        let outcome = self.parse(yaml: yaml, path: path, environment: environment)
        guard let configuration = outcome.configuration else {
            throw ConfigurationError(issues: outcome.issues)
        }
        return configuration
    }

    /// The configuration in the file at `path`, with relative paths in it resolved against the file's folder.
    /// Throws a `ConfigurationError` listing every issue when the file cannot be read or has an error.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> ServerConfiguration {
        let yaml = try self.read(path: path).get()
        let configuration = try self.load(yaml: yaml, path: path, environment: environment)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return configuration.resolvingRelativePaths(against: directory)
    }

    /// The file's text, or an error issue without location.
    static func read(path: String) -> Result<String, ConfigurationError> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(self.fileError(path: path, message: "no such file"))
        }
        guard !isDirectory.boolValue else {
            return .failure(self.fileError(path: path, message: "is a directory, not a file"))
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(self.fileError(path: path, message: "the file is not UTF-8 text"))
            }
            return .success(text)
        } catch {
            return .failure(self.fileError(path: path, message: "cannot read the file (\(error.localizedDescription))"))
        }
    }

    private static func fileError(path: String, message: String) -> ConfigurationError {
        ConfigurationError(issues: [
            ConfigurationIssue(severity: .error, path: path, line: nil, column: nil, keyPath: "", message: message)
        ])
    }
}
