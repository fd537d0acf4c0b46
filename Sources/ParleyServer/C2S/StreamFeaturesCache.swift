import ParleyCore
import ParleyTransports
import ParleyXML
import Synchronization

/// Stream features (RFC 6120 §4.3.2) built and encoded once (`PreparedStreamElement`) for every stream in the same
/// state, shared by the whole process. What a stream is offered depends only on the key's fields, which are what
/// `C2SStateMachine` builds its features from; a login sends features twice, and building and encoding them took
/// ~8,500 instructions each time.
final class StreamFeaturesCache: Sendable {
    /// Everything the features depend on.
    struct Key: Hashable, Sendable {
        var authenticated: Bool
        var offersStreamManagement: Bool
        var secured: Bool
        var tlsAvailable: Bool
        var encryptionRequired: Bool
        var mechanisms: [SASLMechanismName]
    }

    static let shared = StreamFeaturesCache()

    init() {}

    /// A bound on the table: keys come from configured hosts and listeners, so a handful exist, but a server that
    /// reloads its configuration many times must not grow it without end.
    static let maxEntries = 64

    private let table = Mutex<[Key: PreparedStreamElement]>([:])

    /// How many keys the table holds (tests).
    var count: Int { self.table.withLock { $0.count } }

    /// The features for `key`, built by `build` the first time.
    func features(for key: Key, build: () -> XMLElement) -> PreparedStreamElement {
        if let found = self.table.withLock({ $0[key] }) { return found }
        let prepared = PreparedStreamElement(build())
        self.table.withLock { table in
            if table.count >= StreamFeaturesCache.maxEntries { table.removeAll() }
            table[key] = prepared
        }
        return prepared
    }
}
