import Synchronization

/// Repeatable identifiers for tests (`parley serve --seed N`): what the server would draw from `SecureRandom` for
/// anonymous usernames, stream ids, bound resources, meeting ids and its occupant-IQ secret is instead derived from
/// the seed, a purpose and how many were drawn for that purpose (SplitMix64 over FNV-1a of the purpose, Steele, Lea
/// and Flood 2014). The same seed and the same sequence of logins and room creations give the same identifiers:
/// a test can assert on them, and a failing run can be replayed.
///
/// Never for anything secret: `--seed` is refused outside `--ephemeral` test servers.
public final class SeededIdentifiers: Sendable {
    public let seed: UInt64
    private let drawn = Mutex<[String: UInt64]>([:])

    public init(seed: UInt64) {
        self.seed = seed
    }

    /// The next number for `purpose` (the nth draw for it gives the same number every run).
    public func next(_ purpose: String) -> UInt64 {
        let n = self.drawn.withLock { drawn -> UInt64 in
            defer { drawn[purpose, default: 0] &+= 1 }
            return drawn[purpose, default: 0]
        }
        return Self.mix(self.seed ^ Self.fnv1a(purpose) &+ n &* 0x9E37_79B9_7F4A_7C15)
    }

    /// `count` characters of `alphabet` (ASCII) for `purpose`.
    public func string(_ purpose: String, count: Int, alphabet: [UInt8]) -> String {
        var state = self.next(purpose)
        var letters: [UInt8] = []
        letters.reserveCapacity(count)
        for _ in 0..<count {
            state = Self.mix(state)
            letters.append(alphabet[Int(state % UInt64(alphabet.count))])
        }
        return String(decoding: letters, as: UTF8.self)
    }

    /// A version-4-shaped UUID in lower case (RFC 9562 §5.4 layout), for `purpose`.
    public func uuid(_ purpose: String) -> String {
        let high = Self.mix(self.next(purpose))
        let low = Self.mix(high)
        var bytes: [UInt8] = (0..<8).map { UInt8(truncatingIfNeeded: high >> (8 * $0)) }
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: low >> (8 * $0)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte -> String in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(
            separator: "-"
        )
    }

    /// `count` bytes for `purpose`.
    public func bytes(_ purpose: String, count: Int) -> [UInt8] {
        var state = self.next(purpose)
        return (0..<count).map { _ in
            state = Self.mix(state)
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// SplitMix64's output function.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a, 64 bits: a hash that is the same in every process (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
