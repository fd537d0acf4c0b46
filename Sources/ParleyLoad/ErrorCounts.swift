/// Errors of a run counted by condition (see `ErrorClassifier`).
public struct ErrorCounts: Sendable, Equatable {
    public private(set) var counts: [String: Int] = [:]

    public init() {}

    public var total: Int { self.counts.values.reduce(0, +) }

    public mutating func record(_ condition: String) {
        self.counts[condition, default: 0] += 1
    }

    public mutating func merge(_ other: ErrorCounts) {
        for (condition, count) in other.counts { self.counts[condition, default: 0] += count }
    }

    /// The conditions, most frequent first (ties by name), for reports.
    public var sorted: [(condition: String, count: Int)] {
        self.counts.map { (condition: $0.key, count: $0.value) }.sorted {
            $0.count != $1.count ? $0.count > $1.count : $0.condition < $1.condition
        }
    }
}
