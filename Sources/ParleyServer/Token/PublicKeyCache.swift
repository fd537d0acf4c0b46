import ParleyCore
import Synchronization

/// The public keys fetched from a key server, by `kid` (Jitsi's `jwt_pubkey_cache_size`, 128). When full, the key
/// used least recently goes. Shared by every session; each operation is one short critical section.
final class PublicKeyCache: Sendable {
    private struct State {
        var keys: [String: (key: RSAPublicKey, used: UInt64)] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 128) {
        self.capacity = max(1, capacity)
    }

    subscript(kid: String) -> RSAPublicKey? {
        self.state.withLock { state in
            guard let entry = state.keys[kid] else { return nil }
            state.clock &+= 1
            state.keys[kid] = (entry.key, state.clock)
            return entry.key
        }
    }

    func insert(_ key: RSAPublicKey, kid: String) {
        self.state.withLock { state in
            state.clock &+= 1
            if state.keys[kid] == nil, state.keys.count >= self.capacity,
                let oldest = state.keys.min(by: { $0.value.used < $1.value.used })?.key
            {
                state.keys[oldest] = nil
            }
            state.keys[kid] = (key, state.clock)
        }
    }

    var count: Int { self.state.withLock { $0.keys.count } }
}
