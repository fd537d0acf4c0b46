/// One problem found in a configuration file, with where it is.
///
/// Its `description` is the compiler-like line `parley check` prints:
///
/// ```
/// parley.yaml:12:15: error: listen.c2s_port: 70000 is not a port (0 to 65535)
/// parley.yaml:31:19: warning: accounts[0].password_env: JVB_AUTH_PASSWORD is not set
/// ```
public struct ConfigurationIssue: Sendable, Hashable, CustomStringConvertible {
    /// Errors stop the server from starting; warnings do not.
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var severity: Severity
    /// The file the issue is in, as given to the loader.
    public var path: String
    /// 1-based line, or nil when the issue is about the file as a whole (for example, it cannot be read).
    public var line: Int?
    /// 1-based column (in Unicode scalars), or nil with `line`.
    public var column: Int?
    /// The key the issue is about, like `hosts[1].sasl_mechanisms[0]`; empty for the document itself.
    public var keyPath: String
    public var message: String

    public init(severity: Severity, path: String, line: Int?, column: Int?, keyPath: String, message: String) {
        self.severity = severity
        self.path = path
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var isError: Bool { self.severity == .error }

    /// `path:line:column: severity: key.path: message`.
    public var description: String {
        var text = self.path
        if let line = self.line {
            text += ":\(line):\(self.column ?? 1)"
        }
        text += ": \(self.severity.rawValue): "
        if !self.keyPath.isEmpty {
            text += "\(self.keyPath): "
        }
        return text + self.message
    }
}
