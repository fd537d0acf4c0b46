/// The problems `LoadConfiguration.validate()` found, one per line.
public struct LoadConfigurationError: Error, CustomStringConvertible, Equatable {
    public var problems: [String]

    public var description: String { self.problems.joined(separator: "\n") }
}
