/// Thrown by `ConfigurationLoader.load` when a configuration has at least one error.
/// It carries every issue found, warnings included, one per line in `description`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// All issues, in file order.
    public var issues: [ConfigurationIssue]

    public init(issues: [ConfigurationIssue]) {
        self.issues = issues
    }

    /// Only the issues of severity `.error`.
    public var errors: [ConfigurationIssue] { self.issues.filter(\.isError) }

    public var description: String {
        let count = self.errors.count
        let heading = "invalid configuration (\(count) error\(count == 1 ? "" : "s")):"
        return ([heading] + self.issues.map(\.description)).joined(separator: "\n")
    }
}
