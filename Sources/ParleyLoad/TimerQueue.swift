/// The raw loop's timers: a binary min-heap on (deadline, insertion order), so timers due at the same time run in
/// the order they were scheduled.
struct TimerQueue {
    private struct Entry {
        var deadline: UInt64
        var sequence: UInt64
        var task: () -> Void
    }

    private var heap: [Entry] = []
    private var sequence: UInt64 = 0

    var isEmpty: Bool { self.heap.isEmpty }
    var count: Int { self.heap.count }
    var nextDeadline: UInt64? { self.heap.first?.deadline }

    mutating func push(deadline: UInt64, _ task: @escaping () -> Void) {
        self.sequence &+= 1
        self.heap.append(Entry(deadline: deadline, sequence: self.sequence, task: task))
        var child = self.heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.less(self.heap[child], self.heap[parent]) else { break }
            self.heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    mutating func popDue(now: UInt64) -> (() -> Void)? {
        guard let first = self.heap.first, first.deadline <= now else { return nil }
        let last = self.heap.removeLast()
        if !self.heap.isEmpty {
            self.heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < self.heap.count && Self.less(self.heap[left], self.heap[smallest]) { smallest = left }
                if right < self.heap.count && Self.less(self.heap[right], self.heap[smallest]) { smallest = right }
                if smallest == parent { break }
                self.heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.task
    }

    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }
}
