import NIOCore
import ParleyCore
import Synchronization

/// Sessions that may be resumed (XEP-0198 §5), by resumption id. Memory only.
final class ResumptionRegistry: Sendable {
    final class Entry: Sendable {
        let jid: JID
        let session: NIOLoopBound<C2SSession>
        init(jid: JID, session: NIOLoopBound<C2SSession>) {
            self.jid = jid
            self.session = session
        }
    }

    private let entries = Mutex<[String: Entry]>([:])

    func register(_ id: String, _ entry: Entry) { self.entries.withLock { $0[id] = entry } }

    func entry(_ id: String) -> Entry? { self.entries.withLock { $0[id] } }

    /// Removes `id` if it still names `entry`.
    func remove(_ id: String, ifSame entry: Entry? = nil) {
        self.entries.withLock { entries in
            if entry == nil || entries[id] === entry { entries[id] = nil }
        }
    }
}
