import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// signal-sidecar's status file (`STATUS_PATH`, `/etc/jitsi/shard-status`): one word, `ready`, `drain` or `maint`,
/// that an operator or automation writes to move the shard in and out of service. Read every 5 seconds (the
/// sidecar's `POLLING_INTERVAL`) on NIO's thread pool; when the word changes, the shard's state follows. A state
/// set at run time (`parley drain`) holds until the file's word changes again: the last change wins.
final class StatusFile: Sendable {
    let path: String
    let status: ShardStatus
    let logger: Logger
    /// The word read last time: only a change is applied.
    private let lastWord = Mutex<String?>(nil)

    init(path: String, status: ShardStatus, logger: Logger) {
        self.path = path
        self.status = status
        self.logger = logger
    }

    static let interval: TimeAmount = .seconds(5)
    /// A status file is one word; anything longer is not one.
    static let maxBytes = 64

    /// Starts polling on `eventLoop`; cancel the task to stop.
    func poll(on eventLoop: any EventLoop) -> RepeatedTask {
        let file = self
        return eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: StatusFile.interval) { _ in
            NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) { file.read() }.whenSuccess { word in
                let changed = file.lastWord.withLock { last -> Bool in
                    defer { last = word }
                    return last != word
                }
                guard changed, let word else { return }
                guard let state = ShardState(text: word) else {
                    file.logger.warning("The status file holds neither ready, drain nor maint: ignored")
                    return
                }
                let previous = file.status.set(state)
                if previous != state {
                    file.logger.notice("Shard state from the status file", metadata: ["state": "\(state.rawValue)"])
                }
            }
        }
    }

    /// The file's text, or nil when it cannot be read (missing: the state is left as it is).
    func read() -> String? {
        guard let handle = FileHandle(forReadingAtPath: self.path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: StatusFile.maxBytes + 1), data.count <= StatusFile.maxBytes
        else { return "" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
