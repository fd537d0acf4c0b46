import Foundation
import Synchronization

/// The shard's administrative state, as signal-sidecar's status file (`/etc/jitsi/shard-status`) names it:
/// `ready` takes new conferences; `drain` keeps its conferences but gets no new ones (HAProxy's drain: weight 0,
/// sticky rooms keep routing here); `maint` is out of service for maintenance.
public enum ShardState: String, Sendable, CaseIterable {
    case ready
    case drain
    case maint

    /// The state a status file or a control request names: one of the three words, surrounding space ignored,
    /// case-insensitive. Nil for anything else.
    public init?(text: String) {
        let word = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard let state = ShardState(rawValue: word) else { return nil }
        self = state
    }
}

/// The running server's shard state, settable at run time (`parley drain`, the status file) and read by the HAProxy
/// agent, `/ready`, `/metrics` and the focus proxy; from any thread.
public final class ShardStatus: Sendable {
    private let value: Atomic<Int>

    public init(_ state: ShardState = .ready) {
        self.value = Atomic(ShardStatus.code(state))
    }

    public var state: ShardState {
        ShardState.allCases[self.value.load(ordering: .relaxed)]
    }

    /// Sets the state; returns the one it replaced.
    @discardableResult
    public func set(_ state: ShardState) -> ShardState {
        ShardState.allCases[self.value.exchange(ShardStatus.code(state), ordering: .relaxed)]
    }

    private static func code(_ state: ShardState) -> Int {
        ShardState.allCases.firstIndex(of: state) ?? 0
    }
}
