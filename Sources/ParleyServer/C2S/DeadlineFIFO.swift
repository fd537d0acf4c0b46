import NIOCore

/// Channels waiting for deadlines of one constant delay. With the delay constant, arrival order is deadline
/// order, so a FIFO does what a timer heap would, without an allocation or a cancellation per entry. Pure
/// state; `ClosingConnections` owns it and schedules the one timer.
///
/// A channel that closes before its deadline is forgotten by its ticket, which releases it at once: no weak
/// reference (its side table would outlive the connection and pin heap pages until the deadline). The storage
/// is given back whenever the FIFO empties, so a storm of closes leaves no capacity behind, unlike the event
/// loop's array-backed timer heap.
struct DeadlineFIFO {
    /// Names one entry, for `forget`.
    struct Ticket: Equatable {
        fileprivate let sequence: Int
    }

    private struct Entry {
        let deadline: NIODeadline
        var channel: (any Channel)?
    }

    let delay: TimeAmount
    private var entries: [Entry] = []
    /// Index of the first entry not yet due; the ones before it are spent.
    private var head = 0
    /// Sequence number of `entries[0]`.
    private var base = 0

    init(delay: TimeAmount) {
        self.delay = delay
    }

    /// Entries waiting, forgotten ones included until their deadline.
    var count: Int { self.entries.count - self.head }

    /// The earliest deadline waiting, if any.
    var nextDeadline: NIODeadline? { self.head < self.entries.count ? self.entries[self.head].deadline : nil }

    /// Capacity held (for tests: zero once empty).
    var storageCapacity: Int { self.entries.capacity }

    /// Adds `channel`, due at `now + delay`.
    mutating func append(_ channel: any Channel, now: NIODeadline) -> (ticket: Ticket, deadline: NIODeadline) {
        let deadline = now + self.delay
        let ticket = Ticket(sequence: self.base &+ self.entries.count)
        self.entries.append(Entry(deadline: deadline, channel: channel))
        return (ticket, deadline)
    }

    /// Releases the channel of `ticket` if its deadline has not come: it closed by itself.
    mutating func forget(_ ticket: Ticket) {
        let index = ticket.sequence &- self.base
        guard index >= self.head, index < self.entries.count else { return }
        self.entries[index].channel = nil
    }

    /// Removes every entry due at or before `limit`; returns the channels among them not forgotten.
    mutating func removeDue(until limit: NIODeadline) -> [any Channel] {
        var due: [any Channel] = []
        while self.head < self.entries.count, self.entries[self.head].deadline <= limit {
            if let channel = self.entries[self.head].channel { due.append(channel) }
            self.head += 1
        }
        if self.head == self.entries.count {
            self.base &+= self.head
            self.entries = []
            self.head = 0
        } else if self.head >= 256, self.head * 2 >= self.entries.count {
            self.base &+= self.head
            self.entries.removeFirst(self.head)
            self.head = 0
        }
        return due
    }
}
